using System;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A <see cref="ProcessLock"/> or <see cref="ProcessCondition"/> taken with <c>AcquireAsync</c>: held across
/// <see langword="await"/>s and released by disposing it on any thread (<c>using (await l.AcquireAsync(ct)) { … }</c>).
/// </summary>
/// <remarks>
/// The cross-process locks belong to a thread (a holder that dies releases them; see <see cref="LockScope"/>), and
/// code after an <see langword="await"/> may resume on any thread. So an async hold has a thread of its own: a
/// small background thread takes the lock, keeps it while the scope lives, and releases it when the scope is
/// disposed. If the process dies, that thread dies with it and the lock is released as abandoned, as for any
/// holder. While waiting for the lock, that thread waits; the caller's thread is free.
/// </remarks>
public sealed unsafe class AsyncLockScope : IDisposable, IAsyncDisposable
{
    private readonly int* _word;
    private readonly SharedObject _owner;
    // What the holder thread runs while it holds the lock (a condition's wait), then null: release.
    private readonly System.Collections.Concurrent.BlockingCollection<Action?> _work = [];
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private AsyncLockScope(int* word, SharedObject owner)
    {
        _word = word;
        _owner = owner;
    }

    /// <summary>
    /// Whether the previous holder died while holding the lock. The lock is held all the same; the state it
    /// guards may be half-updated.
    /// </summary>
    public bool WasAbandoned { get; private set; }

    /// <summary>Releases the lock; returns once it is released. Any thread may call it; a second call does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _work.Add(null);
        }

        _released.Task.GetAwaiter().GetResult();
    }

    /// <summary>Releases the lock without blocking the calling thread.</summary>
    /// <returns>A task that completes once the lock is released.</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _work.Add(null);
        }

        return new ValueTask(_released.Task);
    }

    /// <summary>
    /// Takes the lock on a holder thread of its own; the task gives the scope, or <see langword="null"/> when
    /// <paramref name="timeoutMilliseconds"/> (negative: no limit) ran out first.
    /// </summary>
    internal static Task<AsyncLockScope?> AcquireAsync(SharedObject owner, int* word, bool reentrant, int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<AsyncLockScope?>(cancellationToken);
        }

        var scope = new AsyncLockScope(word, owner);
        var acquired = new TaskCompletionSource<AsyncLockScope?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = new Thread(() => scope.Hold(reentrant, timeoutMilliseconds, acquired, cancellationToken))
        {
            IsBackground = true,
            Name = "ParallelKit async lock holder",
        };
        holder.Start();
        return acquired.Task;
    }

    /// <summary>The object whose lock this is.</summary>
    internal SharedObject Owner => _owner;

    /// <summary>Runs <paramref name="work"/> on the holder thread, which holds the lock (a condition's wait).</summary>
    internal Task<bool> RunOnHolder(Func<bool> work)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.TrySetResult(work());
            }
            catch (OperationCanceledException ex)
            {
                done.TrySetCanceled(ex.CancellationToken);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        });
        return done.Task;
    }

    /// <summary>The holder thread: takes the lock (in slices, to see cancellation), keeps it until disposed, releases it.</summary>
    private void Hold(bool reentrant, int timeoutMilliseconds, TaskCompletionSource<AsyncLockScope?> acquired, CancellationToken cancellationToken)
    {
        // The lock's memory stays mapped as long as this thread may touch it, even if the owner is disposed meanwhile.
        SharedMemory.SharedSegment segment = _owner.Segment;
        try
        {
            segment.BeginUse();
        }
        catch (ObjectDisposedException ex)
        {
            acquired.TrySetException(ex);
            _released.TrySetResult();
            return;
        }

        try
        {
            Hold(segment, reentrant, timeoutMilliseconds, acquired, cancellationToken);
        }
        finally
        {
            segment.EndUse();
            _released.TrySetResult();
        }
    }

    private void Hold(SharedMemory.SharedSegment segment, bool reentrant, int timeoutMilliseconds, TaskCompletionSource<AsyncLockScope?> acquired, CancellationToken cancellationToken)
    {
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        bool abandoned;
        try
        {
            while (true)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    acquired.TrySetCanceled(cancellationToken);
                    return;
                }

                int slice = deadline.Slice(AsyncWait.SliceMilliseconds);
                if (slice == 0 && timeoutMilliseconds != 0)
                {
                    acquired.TrySetResult(null);
                    return;
                }

                if (RobustLock.Enter(_word, reentrant, slice, out abandoned, segment))
                {
                    break;
                }

                if (timeoutMilliseconds == 0)
                {
                    acquired.TrySetResult(null);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            acquired.TrySetException(ex);
            return;
        }

        WasAbandoned = abandoned;
        acquired.TrySetResult(this);
        foreach (Action? work in _work.GetConsumingEnumerable(CancellationToken.None))
        {
            if (work is null)
            {
                break;
            }

            work();
        }

        RobustLock.Exit(_word);
    }
}
