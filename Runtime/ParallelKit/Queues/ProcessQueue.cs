using System;
using System.Buffers;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;
using static ParallelKit.QueueLayout;

namespace ParallelKit;

/// <summary>
/// A first-in first-out queue shared by threads and processes — Python's <c>multiprocessing.Queue</c>:
/// any number of producers and consumers, in any processes it is passed to (by handle). Items are
/// marshaled with MemoryPack into shared memory (<c>/dev/shm</c>), so a put is complete when
/// <see cref="Put"/> returns: a producer may exit (or be killed) right after without losing what it put,
/// and never waits for a consumer (no join-before-drain deadlock). Unbounded by default; with a capacity,
/// producers wait while it is full. Waiting threads spin briefly, then sleep on a futex.
/// </summary>
/// <typeparam name="T">The item type: anything a job argument can be.</typeparam>
/// <example>
/// <code>
/// using var queue = new ProcessQueue&lt;(int, string?, string)&gt;();
/// using var p = ParallelProcess.Start(Jobs.F(queue));   // F: queue.Put((42, null, "hello"))
/// Console.WriteLine(queue.Get().Item3);                   // hello
/// </code>
/// </example>
/// <remarks>
/// The items live in a chain of shared-memory chunks of 1 MiB (an item larger than that gets a chunk of
/// its own); a consumer that finishes a chunk hands it back for reuse, so a steady stream maps no new
/// memory. At most 4,096 chunks are in use at once (4 GiB of small items). The creating process owns the queue: disposing it (or that process's
/// exit) removes the queue and the items left in it. <see cref="Close"/> says no more items will come:
/// puts then throw, and gets on the drained queue throw instead of waiting forever.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The name DESIGN.md gives it, after Python's multiprocessing.Queue.")]
public sealed unsafe class ProcessQueue<T> : SharedObject, IMemoryPackFormatterRegister
{
    private const long DefaultChunkSize = 1 << 20;

    private static readonly ulong Tag = SharedSegment.TypeTag("ProcessQueue", typeof(T), 0);
    private static readonly ulong ChunkTag = SharedSegment.TypeTag("ProcessQueueChunk", typeof(T), 0);
    private static readonly string ChunkDescription = $"ProcessQueue<{typeof(T).Name}> chunk";

    private static readonly long SpinTicks = Stopwatch.Frequency / 50_000; // 20 µs

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly ChunkChain _chunks;

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessQueue() => HandleTypes.Declare<ProcessQueue<T>>(static () => new HandleFormatter<ProcessQueue<T>>(Open));

    /// <summary>Creates a queue in new shared memory, owned by this process.</summary>
    /// <param name="capacity">The most items it holds (producers wait while it is full); 0 for no limit.</param>
    public ProcessQueue(int capacity = 0)
        : this(capacity, DefaultChunkSize)
    {
    }

    /// <summary>A queue with chunks of <paramref name="chunkSize"/> bytes (small ones for control channels).</summary>
    internal ProcessQueue(int capacity, long chunkSize)
        : base(CreateSegment(capacity))
    {
        *(int*)(Data + CapacityAt) = capacity;
        *(long*)(Data + ChunkSizeAt) = chunkSize;
        _chunks = new ChunkChain(Segment, ChunkTag, ChunkDescription);
        _chunks.CreateFirst(chunkSize);
        HandleTypes.Ensure<T>();
    }

    private ProcessQueue(SharedSegment segment)
        : base(segment)
    {
        _chunks = new ChunkChain(Segment, ChunkTag, ChunkDescription);
        HandleTypes.Ensure<T>();
    }

    /// <summary>The most items the queue holds; 0 when unbounded.</summary>
    public int Capacity => *(int*)(Data + CapacityAt);

    /// <summary>The number of items in the queue now (others may change it at any moment).</summary>
    public long Count => Volatile.Read(ref *(long*)(Data + CountAt));

    /// <summary>Whether <see cref="Close"/> was called, in any process.</summary>
    public bool IsClosed => Volatile.Read(ref *(int*)(Data + ClosedAt)) != 0;

    private byte* Data => Segment.Data;

    /// <summary>Adds an item, waiting while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public void Put(T item) => TryPut(item, -1);

    /// <summary>Adds an item, waiting at most <paramref name="timeout"/> while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>Whether the item was added.</returns>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public bool TryPut(T item, TimeSpan timeout) => TryPut(item, RobustLock.Milliseconds(timeout));

    /// <summary>Adds an item, waiting without blocking a thread while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the item is in the queue.</returns>
    public ValueTask PutAsync(T item, CancellationToken cancellationToken = default)
    {
        byte[] payload = MemoryPackSerializer.Serialize(item);
        return Append(payload, 0) ? ValueTask.CompletedTask : QueueWaits.PutAsync(this, payload, cancellationToken);
    }

    /// <summary>Removes and returns the first item, waiting as long as it takes for one.</summary>
    /// <returns>The item.</returns>
    /// <exception cref="InvalidOperationException">The queue is closed and empty.</exception>
    public T Get() => TryGet(-1, out T item) ? item : throw new TimeoutException();

    /// <summary>Removes and returns the first item, waiting at most <paramref name="timeout"/> for one.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The item.</returns>
    /// <exception cref="TimeoutException">No item came in time.</exception>
    /// <exception cref="InvalidOperationException">The queue is closed and empty.</exception>
    public T Get(TimeSpan timeout)
        => TryGet(RobustLock.Milliseconds(timeout), out T item) ? item : throw new TimeoutException($"No item arrived in the queue within {timeout}.");

    /// <summary>Removes the first item if there is one, without waiting.</summary>
    /// <param name="item">The item, when there was one.</param>
    /// <returns>Whether there was an item.</returns>
    public bool TryGet(out T item)
    {
        if (Count == 0)
        {
            item = default!;
            return false;
        }

        return TryGet(0, out item);
    }

    /// <summary>Removes and returns the first item, waiting without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The item.</returns>
    /// <exception cref="InvalidOperationException">The queue is closed and empty.</exception>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default)
        => TryGet(0, out T item) ? ValueTask.FromResult(item) : QueueWaits.GetAsync(this, cancellationToken);

    /// <summary>
    /// Says that no more items will be put, in any process: puts then throw, and consumers get the items
    /// left and then <see cref="InvalidOperationException"/> instead of waiting forever.
    /// </summary>
    public void Close()
    {
        using (Lock())
        {
            Interlocked.Exchange(ref *(int*)(Data + ClosedAt), 1); // a full fence before Signal reads the sleepers
            Signal(NotEmptyAt, NotEmptyWaitersAt, int.MaxValue);
            Signal(NotFullAt, NotFullWaitersAt, int.MaxValue);
        }
    }

    internal static ProcessQueue<T> Open(string handle)
        => OpenShared(handle, Tag, static segment => new ProcessQueue<T>(segment));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessQueue<T>>(Open));

    /// <summary>Unmaps the chunks too; the owner also removes them with the queue.</summary>
    private protected override void DisposeParts()
        => _chunks.Dispose();

    private bool TryPut(T item, int timeoutMilliseconds)
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(buffer, item);
        try
        {
            Deadline deadline = Deadline.After(timeoutMilliseconds);
            while (!Append(buffer.WrittenSpan, deadline.Remaining))
            {
                if (deadline.HasPassed)
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            if (buffer.Capacity > 1 << 20)
            {
                t_buffer = null; // do not keep a huge item's buffer per thread
            }
        }
    }

    /// <summary>Appends one marshaled item; false when a bounded queue stayed full for the whole wait.</summary>
    internal bool Append(ReadOnlySpan<byte> payload, int timeoutMilliseconds)
    {
        long need = 8 + Align8(payload.Length);
        using SegmentUse use = Use();
        using (Lock())
        {
            ThrowIfClosed();
            int capacity = *(int*)(Data + CapacityAt);
            if (capacity > 0 && *(long*)(Data + CountAt) >= capacity)
            {
                if (timeoutMilliseconds == 0 || !WaitLocked(NotFullAt, NotFullWaitersAt, timeoutMilliseconds, () => Volatile.Read(ref *(long*)(Data + CountAt)) < capacity || IsClosed))
                {
                    return false;
                }

                ThrowIfClosed();
            }

            (long chunkIndex, long offset) = Unpack(Volatile.Read(ref *(long*)(Data + WritePositionAt)));
            SharedSegment chunk = _chunks.Chunk(chunkIndex);
            if (offset + need > chunk.DataSize)
            {
                if (offset + 4 <= chunk.DataSize)
                {
                    *(int*)(chunk.Data + offset) = EndOfChunk;
                }

                if (chunk.DataSize != *(long*)(Data + ChunkSizeAt))
                {
                    _chunks.Unmap(chunkIndex); // a one-item chunk: this process writes no more there
                }

                chunkIndex++;
                chunk = _chunks.Append(chunkIndex, need);
                offset = 0;
            }

            byte* record = chunk.Data + offset;
            *(int*)record = payload.Length;
            *(int*)(record + 4) = 0;
            payload.CopyTo(new Span<byte>(record + 8, payload.Length));

            // Committed only now, in one store: a producer killed before it leaves no half item behind.
            Volatile.Write(ref *(long*)(Data + WritePositionAt), Pack(chunkIndex, offset + need));
            Interlocked.Increment(ref *(long*)(Data + CountAt)); // a full fence before Signal reads the sleepers
            Signal(NotEmptyAt, NotEmptyWaitersAt, 1);
            return true;
        }
    }

    internal bool TryGet(int timeoutMilliseconds, out T item)
    {
        int length;
        using SegmentUse use = Use();
        using (Lock())
        {
            if (*(long*)(Data + CountAt) == 0)
            {
                if (IsClosed)
                {
                    throw ClosedAndEmpty();
                }

                if (timeoutMilliseconds == 0
                    || !WaitLocked(NotEmptyAt, NotEmptyWaitersAt, timeoutMilliseconds, () => Volatile.Read(ref *(long*)(Data + CountAt)) > 0 || IsClosed))
                {
                    item = default!;
                    return false;
                }

                if (*(long*)(Data + CountAt) == 0)
                {
                    throw ClosedAndEmpty();
                }
            }

            (long chunkIndex, long offset) = Unpack(Volatile.Read(ref *(long*)(Data + ReadPositionAt)));
            SharedSegment chunk = _chunks.Chunk(chunkIndex);
            while (offset + 4 > chunk.DataSize || *(int*)(chunk.Data + offset) == EndOfChunk)
            {
                // This chunk is done: move on first, then hand its slot back (a consumer killed in between
                // leaks one slot, never hands it back twice).
                Volatile.Write(ref *(long*)(Data + ReadPositionAt), Pack(chunkIndex + 1, 0));
                _chunks.Finish(chunkIndex);
                chunkIndex++;
                offset = 0;
                chunk = _chunks.Chunk(chunkIndex);
            }

            byte* record = chunk.Data + offset;
            length = *(int*)record;

            // The item is taken before it is read, as Python's get does: one that cannot be read (say, a handle
            // whose owner has gone) fails this get only, and the queue goes on.
            Volatile.Write(ref *(long*)(Data + ReadPositionAt), Pack(chunkIndex, offset + 8 + Align8(length)));
            Interlocked.Decrement(ref *(long*)(Data + CountAt)); // a full fence before Signal reads the sleepers
            Signal(NotFullAt, NotFullWaitersAt, 1);

            // Read in place (one copy less): the lock keeps producers off these bytes meanwhile.
            MemoryPackReaderOptionalState state = MemoryPackReaderOptionalStatePool.Rent(null);
            try
            {
                var reader = new MemoryPackReader(new ReadOnlySpan<byte>(record + 8, length), state);
                item = reader.ReadValue<T>()!;
            }
            finally
            {
                ((IDisposable)state).Dispose();
            }

            return true;
        }
    }

    /// <summary>
    /// Takes the queue's lock. A process killed while it held the lock may have moved a position without
    /// counting the item (the two stores in Append and TryGet): the count is then recomputed from the positions.
    /// </summary>
    private LockScope Lock()
    {
        LockScope scope = EnterLock(reentrant: false);
        if (scope.WasAbandoned)
        {
            Recount();
        }

        return scope;
    }

    /// <summary>Counts the committed items between the read and write positions. Caller holds the lock.</summary>
    private void Recount()
    {
        (long chunkIndex, long offset) = Unpack(Volatile.Read(ref *(long*)(Data + ReadPositionAt)));
        (long lastChunk, long end) = Unpack(Volatile.Read(ref *(long*)(Data + WritePositionAt)));
        long items = 0;
        while (chunkIndex < lastChunk || (chunkIndex == lastChunk && offset < end))
        {
            SharedSegment chunk = _chunks.Chunk(chunkIndex);
            if (offset + 4 > chunk.DataSize || *(int*)(chunk.Data + offset) == EndOfChunk)
            {
                chunkIndex++;
                offset = 0;
                continue;
            }

            offset += 8 + Align8(*(int*)(chunk.Data + offset));
            items++;
        }

        Interlocked.Exchange(ref *(long*)(Data + CountAt), items); // a full fence before Signal reads the sleepers

        // Whoever sleeps on the old count looks again (an item the count had missed, or room it had hidden).
        Signal(NotEmptyAt, NotEmptyWaitersAt, int.MaxValue);
        Signal(NotFullAt, NotFullWaitersAt, int.MaxValue);
    }

    /// <summary>
    /// Holding the lock, waits for <paramref name="ready"/>: spins a little outside the lock (a busy producer
    /// or consumer is about to act), then sleeps on the sequence word until signalled or out of time, and takes
    /// the lock back to look again (another consumer or producer may have been first).
    /// </summary>
    private bool WaitLocked(int sequenceAt, int waitersAt, int timeoutMilliseconds, Func<bool> ready)
    {
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        var condition = new Ready(ready);
        int* lockWord = LockWord; // mapped while the caller's use lasts, even if the queue is disposed meanwhile
        for (int round = 0; !ready(); round++)
        {
            if (deadline.HasPassed)
            {
                return false;
            }

            RobustLock.Exit(lockWord);
            try
            {
                if (round == 0 && SpinUntil(ready))
                {
                    continue;
                }

                Waits(sequenceAt, waitersAt).WaitUntil(ref condition, deadline, Segment);
            }
            finally
            {
                RobustLock.Enter(lockWord, reentrant: false, -1, out bool abandoned);
                if (abandoned)
                {
                    Recount();
                }
            }
        }

        return true;
    }

    /// <summary>
    /// A streaming peer acts again within microseconds: catching that by spinning (without the lock, and
    /// without announcing a sleeper) saves both sides a futex: the wake is a system call, the sleep a
    /// context switch.
    /// </summary>
    private static bool SpinUntil(Func<bool> ready)
    {
        long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
        while (Stopwatch.GetTimestamp() < spinUntil)
        {
            if (ready())
            {
                return true;
            }

            Thread.SpinWait(16);
        }

        return false;
    }

    /// <summary>The sequence word at <paramref name="sequenceAt"/> with its sleepers at <paramref name="waitersAt"/>.</summary>
    private WaitWord Waits(int sequenceAt, int waitersAt) => new((int*)(Data + sequenceAt), (int*)(Data + waitersAt));

    private void Signal(int sequenceAt, int waitersAt, int count) => Waits(sequenceAt, waitersAt).Advance(count);

    /// <summary>Waits, without the lock, at most <paramref name="milliseconds"/> for an item (or the queue's close).</summary>
    internal void WaitForItem(int milliseconds)
    {
        using SegmentUse use = Use();
        var condition = new Ready(() => Count > 0 || IsClosed);
        Waits(NotEmptyAt, NotEmptyWaitersAt).WaitUntil(ref condition, Deadline.After(milliseconds), Segment);
    }

    /// <summary>Waits, without the lock, at most <paramref name="milliseconds"/> for room in a bounded queue (or its close).</summary>
    internal void WaitForSpace(int milliseconds)
    {
        using SegmentUse use = Use();
        var condition = new Ready(() => Capacity == 0 || Count < Capacity || IsClosed);
        Waits(NotFullAt, NotFullWaitersAt).WaitUntil(ref condition, Deadline.After(milliseconds), Segment);
    }

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new InvalidOperationException("The queue is closed: no more items can be put.");
        }
    }

    private static InvalidOperationException ClosedAndEmpty() => new("The queue is closed and empty: no item will come.");

    /// <summary>A wait's condition given as a delegate (a queue's conditions read several words).</summary>
    private readonly struct Ready(Func<bool> ready) : IWaitCondition
    {
        public bool IsMet() => ready();
    }

    /// <summary>Checks the arguments before any file is created for the queue.</summary>
    private static SharedSegment CreateSegment(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        return SharedSegment.Create(HeaderSize, Tag);
    }

}

/// <summary>The waits of <see cref="ProcessQueue{T}"/>'s async methods, on the thread pool in short slices so that cancellation is prompt.</summary>
internal static class QueueWaits
{
    public static async ValueTask PutAsync<T>(ProcessQueue<T> queue, byte[] payload, CancellationToken cancellationToken)
    {
        while (!queue.Append(payload, 0))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() => queue.WaitForSpace(50), cancellationToken).ConfigureAwait(false);
        }
    }

    public static async ValueTask<T> GetAsync<T>(ProcessQueue<T> queue, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() => queue.WaitForItem(50), cancellationToken).ConfigureAwait(false);
            if (queue.TryGet(0, out T item))
            {
                return item;
            }
        }
    }
}
