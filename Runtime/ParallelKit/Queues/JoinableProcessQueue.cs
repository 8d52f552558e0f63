using System;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A <see cref="ProcessQueue{T}"/> that counts unfinished work — Python's <c>multiprocessing.JoinableQueue</c>:
/// each item put counts as unfinished until a consumer (in any process) calls <see cref="TaskDone"/> for it, and
/// <see cref="Join()"/> waits until every item ever put has been marked done. Pass it to jobs and processes: it
/// crosses by handle, and all see the same queue and count.
/// </summary>
/// <typeparam name="T">The item type (marshaled with MemoryPack).</typeparam>
/// <example>
/// <code>
/// using var work = new JoinableProcessQueue&lt;string&gt;();
/// foreach (string url in urls) work.Put(url);
/// // consumers: var url = work.Get(); Fetch(url); work.TaskDone();
/// work.Join(); // every url fetched
/// </code>
/// </example>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "After Python's multiprocessing.JoinableQueue, beside ProcessQueue.")]
public sealed class JoinableProcessQueue<T> : IMarshalByHandle, IMemoryPackFormatterRegister, IDisposable
{
    private readonly UnfinishedCount _unfinished;

    /// <summary>Creates a queue in new shared memory, owned by this process.</summary>
    /// <param name="capacity">The most items it holds before <see cref="Put"/> waits; 0 for no limit.</param>
    public JoinableProcessQueue(int capacity = 0)
    {
        Queue = new ProcessQueue<T>(capacity);
        try
        {
            _unfinished = new UnfinishedCount();
        }
        catch
        {
            Queue.Dispose();
            throw;
        }
    }

    private JoinableProcessQueue(ProcessQueue<T> queue, UnfinishedCount unfinished)
    {
        Queue = queue;
        _unfinished = unfinished;
    }

    /// <summary>The queue itself, for what this class does not forward (its items count as unfinished all the same).</summary>
    public ProcessQueue<T> Queue { get; }

    /// <inheritdoc />
    public string HandleName => Queue.HandleName + "|" + _unfinished.HandleName;

    /// <summary>Items put and not yet marked done with <see cref="TaskDone"/>, in every process.</summary>
    public long UnfinishedTasks => _unfinished.Value;

    /// <summary>The number of items in the queue now.</summary>
    public long Count => Queue.Count;

    /// <summary>Adds an item (counted unfinished), waiting while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public void Put(T item)
    {
        _unfinished.Add(1);
        try
        {
            Queue.Put(item);
        }
        catch
        {
            _unfinished.Done();
            throw;
        }
    }

    /// <summary>Adds an item (counted unfinished), waiting without blocking a thread while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops waiting (then the item is not added).</param>
    /// <returns>A task that completes when the item is in the queue.</returns>
    public async ValueTask PutAsync(T item, CancellationToken cancellationToken = default)
    {
        _unfinished.Add(1);
        try
        {
            await Queue.PutAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _unfinished.Done();
            throw;
        }
    }

    /// <summary>Removes and returns the first item, waiting as long as it takes; call <see cref="TaskDone"/> when it is handled.</summary>
    /// <returns>The item.</returns>
    public T Get() => Queue.Get();

    /// <summary>Removes and returns the first item, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The item.</returns>
    /// <exception cref="TimeoutException">No item came in time.</exception>
    public T Get(TimeSpan timeout) => Queue.Get(timeout);

    /// <summary>Removes the first item if there is one, without waiting.</summary>
    /// <param name="item">The item, when there was one.</param>
    /// <returns>Whether there was an item.</returns>
    public bool TryGet(out T item) => Queue.TryGet(out item);

    /// <summary>Removes and returns the first item, waiting without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The item.</returns>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default) => Queue.GetAsync(cancellationToken);

    /// <summary>Says that no more items will be put (see <see cref="ProcessQueue{T}.Close"/>).</summary>
    public void Close() => Queue.Close();

    /// <summary>
    /// Marks one item taken from the queue as handled — Python's <c>task_done()</c>. When every item put has been
    /// marked, <see cref="Join()"/> returns in every process.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    public void TaskDone() => _unfinished.Done();

    /// <summary>Waits until every item put, by any process, has been marked done — Python's <c>join()</c>.</summary>
    public void Join() => _unfinished.WaitForZero(-1);

    /// <summary>Waits at most <paramref name="timeout"/> until every item put has been marked done.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>Whether every item was done in time.</returns>
    public bool Join(TimeSpan timeout) => _unfinished.WaitForZero(RobustLock.Milliseconds(timeout));

    /// <summary>Waits, without blocking the calling thread, until every item put has been marked done.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when every item is done.</returns>
    public Task JoinAsync(CancellationToken cancellationToken = default) => AsyncWait.Run(_unfinished.WaitForZero, -1, cancellationToken);

    /// <summary>Releases the shared memory; the creator also removes it (see <see cref="SharedObject.Dispose"/>).</summary>
    public void Dispose()
    {
        Queue.Dispose();
        _unfinished.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"JoinableProcessQueue {HandleName} ({Count} queued, {UnfinishedTasks} unfinished)";

    internal static JoinableProcessQueue<T> Open(string handle)
    {
        int split = handle.LastIndexOf('|');
        if (split <= 0)
        {
            throw new ArgumentException($"'{handle}' is not the handle of a joinable queue.", nameof(handle));
        }

        return new JoinableProcessQueue<T>(ProcessQueue<T>.Open(handle[..split]), UnfinishedCount.Open(handle[(split + 1)..]));
    }

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type.
    static JoinableProcessQueue() => HandleTypes.Declare<JoinableProcessQueue<T>>(static () => new HandleFormatter<JoinableProcessQueue<T>>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<JoinableProcessQueue<T>>(Open));
}
