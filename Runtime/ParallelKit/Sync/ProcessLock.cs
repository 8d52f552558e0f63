using System;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A lock shared by threads and processes — Python's <c>multiprocessing.Lock</c>. Not re-entrant (see
/// <see cref="ProcessRLock"/>); released by the thread that took it (unlike Python's, which any thread or
/// process may release: to signal between processes, use a <see cref="ProcessSemaphore"/> or
/// <see cref="ProcessEvent"/>). A holder that dies (its process
/// killed, its thread ended) never deadlocks the rest: the next thread to acquire gets the lock, with
/// <see cref="LockScope.WasAbandoned"/> set. Uncontended, acquiring costs one atomic operation; waiting
/// threads spin briefly, then sleep on a futex.
/// </summary>
/// <example>
/// <code>
/// using var printLock = new ProcessLock();
/// using (printLock.Acquire()) { Console.WriteLine("hello world"); }   // in any process it was passed to
/// </code>
/// </example>
public sealed unsafe class ProcessLock : SharedObject, IMemoryPackFormatterRegister
{
    private static readonly ulong Tag = TagOf<ProcessLock>();

    /// <summary>Creates a lock in new shared memory, owned by this process.</summary>
    public ProcessLock()
        : base(SharedSegment.Create(0, Tag))
    {
    }

    private ProcessLock(SharedSegment segment)
        : base(segment)
    {
    }

    /// <summary>Whether the calling thread holds the lock.</summary>
    public bool IsHeldByCurrentThread => RobustLock.IsHeldByCurrentThread(LockWord);

    /// <summary>Acquires the lock, waiting as long as it takes.</summary>
    /// <returns>The held lock: dispose it (on this thread) to release, or call <see cref="Release"/>.</returns>
    /// <exception cref="System.Threading.LockRecursionException">The calling thread already holds it.</exception>
    public LockScope Acquire() => EnterLock(reentrant: false);

    /// <summary>
    /// Acquires the lock unless <paramref name="timeout"/> passes first. As Python's <c>acquire(timeout=…)</c>,
    /// a thread that already holds the lock gets <see langword="false"/> (it cannot release the lock while it
    /// waits, so it returns at once rather than after the time-out).
    /// </summary>
    /// <param name="timeout">The longest wait (<see cref="System.Threading.Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <param name="scope">The held lock, when acquired.</param>
    /// <returns>Whether the lock was acquired.</returns>
    /// <exception cref="System.Threading.LockRecursionException">
    /// The calling thread already holds it and <paramref name="timeout"/> is infinite (the wait could never end).
    /// </exception>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope)
    {
        int milliseconds = RobustLock.Milliseconds(timeout);
        if (milliseconds >= 0 && IsHeldByCurrentThread)
        {
            scope = default;
            return false;
        }

        return TryEnterLock(reentrant: false, timeout, out scope);
    }

    /// <summary>Releases the lock the calling thread holds (the same as disposing the scope <see cref="Acquire"/> returned).</summary>
    /// <exception cref="System.Threading.SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release() => RobustLock.Exit(LockWord);

    /// <summary>
    /// Acquires the lock without blocking the calling thread, for code that holds it across <see langword="await"/>s:
    /// <c>using (await l.AcquireAsync(ct)) { await …; }</c>. The scope may be disposed on any thread (see
    /// <see cref="AsyncLockScope"/>: a holder thread of its own keeps the lock meanwhile).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (then the lock was not taken).</param>
    /// <returns>The held lock.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<AsyncLockScope> AcquireAsync(CancellationToken cancellationToken = default)
        => AsyncWait.NotNull(AsyncLockScope.AcquireAsync(this, LockWord, reentrant: false, -1, cancellationToken));

    /// <summary>Acquires the lock without blocking the calling thread, unless <paramref name="timeout"/> passes first.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <param name="cancellationToken">Stops waiting (then the lock was not taken).</param>
    /// <returns>The held lock, or <see langword="null"/> when the time ran out.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<AsyncLockScope?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => AsyncLockScope.AcquireAsync(this, LockWord, reentrant: false, RobustLock.Milliseconds(timeout), cancellationToken);

    internal static ProcessLock Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessLock(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessLock() => HandleTypes.Declare<ProcessLock>(static () => new HandleFormatter<ProcessLock>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessLock>(Open));
}
