using System;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A re-entrant lock shared by threads and processes — Python's <c>multiprocessing.RLock</c>: the thread
/// that holds it may acquire it again, and must release it as many times. A holder that dies (its process
/// killed, its thread ended) never deadlocks the rest: the next thread to acquire gets the lock, with
/// <see cref="LockScope.WasAbandoned"/> set. Uncontended, acquiring costs one atomic operation; waiting
/// threads spin briefly, then sleep on a futex.
/// </summary>
/// <example>
/// <code>
/// using var rlock = new ProcessRLock();
/// using (rlock.Acquire()) using (rlock.Acquire()) { /* held twice by this thread */ }
/// </code>
/// </example>
public sealed unsafe class ProcessRLock : SharedObject, IMemoryPackFormatterRegister
{
    private static readonly ulong Tag = TagOf<ProcessRLock>();

    /// <summary>Creates a lock in new shared memory, owned by this process.</summary>
    public ProcessRLock()
        : base(SharedSegment.Create(0, Tag))
    {
    }

    private ProcessRLock(SharedSegment segment)
        : base(segment)
    {
    }

    /// <summary>Whether the calling thread holds the lock.</summary>
    public bool IsHeldByCurrentThread => RobustLock.IsHeldByCurrentThread(LockWord);

    /// <summary>Acquires the lock, waiting as long as it takes.</summary>
    /// <returns>The held lock: dispose it (on this thread) to release, or call <see cref="Release"/>.</returns>
    public LockScope Acquire() => EnterLock(reentrant: true);

    /// <summary>Acquires the lock unless <paramref name="timeout"/> passes first.</summary>
    /// <param name="timeout">The longest wait (<see cref="System.Threading.Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <param name="scope">The held lock, when acquired.</param>
    /// <returns>Whether the lock was acquired.</returns>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope) => TryEnterLock(reentrant: true, timeout, out scope);

    /// <summary>Releases the lock once (the same as disposing a scope <see cref="Acquire"/> returned).</summary>
    /// <exception cref="System.Threading.SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release() => RobustLock.Exit(LockWord);

    internal static ProcessRLock Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessRLock(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessRLock() => HandleTypes.Declare<ProcessRLock>(static () => new HandleFormatter<ProcessRLock>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessRLock>(Open));
}
