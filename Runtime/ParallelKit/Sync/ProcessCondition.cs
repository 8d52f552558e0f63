using System;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A condition variable shared by threads and processes — Python's <c>multiprocessing.Condition</c>,
/// with its own re-entrant lock. Hold the lock (<see cref="Acquire"/>) to check the state it guards and to
/// <see cref="Wait()"/> (which releases it while sleeping and takes it back before returning) or
/// <see cref="Notify"/>. Waits may return without a notification, as everywhere: wait in a loop on the
/// condition, or use <see cref="WaitFor"/>.
/// </summary>
public sealed unsafe class ProcessCondition : SharedObject, IMemoryPackFormatterRegister
{
    // Data words: 0 notification sequence, 1 sleeping waiters.
    private static readonly ulong Tag = TagOf<ProcessCondition>();

    /// <summary>Creates a condition, and its lock, in new shared memory owned by this process.</summary>
    public ProcessCondition()
        : base(SharedSegment.Create(2 * sizeof(int), Tag))
    {
    }

    private ProcessCondition(SharedSegment segment)
        : base(segment)
    {
    }

    /// <summary>Takes the condition's lock (re-entrant), waiting as long as it takes.</summary>
    /// <returns>The held lock; dispose it (on this thread) to release.</returns>
    public LockScope Acquire() => EnterLock(reentrant: true);

    /// <summary>
    /// Takes the condition's lock without blocking the calling thread, for code that waits on the condition
    /// asynchronously (<see cref="WaitAsync(AsyncLockScope, TimeSpan, CancellationToken)"/>):
    /// <c>using (var held = await c.AcquireAsync(ct)) { while (!ready) await c.WaitAsync(held, timeout, ct); }</c>.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (then the lock was not taken).</param>
    /// <returns>The held lock; dispose it (on any thread) to release.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<AsyncLockScope> AcquireAsync(CancellationToken cancellationToken = default)
        => AsyncWait.NotNull(AsyncLockScope.AcquireAsync(this, LockWord, reentrant: true, -1, cancellationToken));

    /// <summary>
    /// Releases the lock held by <paramref name="held"/>, waits for a notification or for <paramref name="timeout"/>
    /// without blocking the calling thread, and takes the lock back — the async form of <see cref="Wait(TimeSpan)"/>.
    /// The lock is held again when the task completes, cancelled or not.
    /// </summary>
    /// <param name="held">The lock, taken with <see cref="AcquireAsync"/>.</param>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="false"/> when the time ran out.</returns>
    /// <exception cref="ArgumentException"><paramref name="held"/> is not this condition's lock.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<bool> WaitAsync(AsyncLockScope held, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (!ReferenceEquals(held.Owner, this))
        {
            throw new ArgumentException("The scope holds another object's lock: take this condition's with AcquireAsync.", nameof(held));
        }

        int milliseconds = RobustLock.Milliseconds(timeout);
        return held.RunOnHolder(() => Wait(milliseconds, cancellationToken));
    }

    /// <summary>Releases the lock, waits for a notification, and takes the lock back.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Wait() => Wait(-1);

    /// <summary>Releases the lock, waits for a notification or for <paramref name="timeout"/>, and takes the lock back.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns><see langword="false"/> when the time ran out.</returns>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public bool Wait(TimeSpan timeout) => Wait(RobustLock.Milliseconds(timeout));

    /// <summary>Waits (releasing the lock meanwhile) until <paramref name="predicate"/> holds, or <paramref name="timeout"/> passes.</summary>
    /// <param name="predicate">The condition, evaluated holding the lock.</param>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>The predicate's last value.</returns>
    public bool WaitFor(Func<bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Deadline deadline = Deadline.After(RobustLock.Milliseconds(timeout));
        while (!predicate())
        {
            int left = deadline.Remaining;
            if (left == 0)
            {
                return predicate();
            }

            Wait(left);
        }

        return true;
    }

    /// <summary>Wakes up to <paramref name="count"/> threads waiting on the condition. Hold the lock.</summary>
    /// <param name="count">How many to wake.</param>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Notify(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!RobustLock.IsHeldByCurrentThread(LockWord))
        {
            throw new SynchronizationLockException("Notify needs the condition's lock: call it inside 'using (condition.Acquire())'.");
        }

        WaitOn(0, 1).Advance(count);
    }

    /// <summary>Wakes every thread waiting on the condition. Hold the lock.</summary>
    public void NotifyAll() => Notify(int.MaxValue);

    internal static ProcessCondition Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessCondition(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessCondition() => HandleTypes.Declare<ProcessCondition>(static () => new HandleFormatter<ProcessCondition>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessCondition>(Open));

    /// <inheritdoc />
    private protected override void WakeSleepers(byte* data) => Futex.Wake((int*)data, int.MaxValue);

    private bool Wait(int timeoutMilliseconds, CancellationToken cancellationToken = default)
    {
        using SegmentUse use = Use();
        int* lockWord = LockWord; // mapped until the use ends, even if the condition is disposed meanwhile
        if (!RobustLock.IsHeldByCurrentThread(lockWord))
        {
            throw new SynchronizationLockException("Wait needs the condition's lock: call it inside 'using (condition.Acquire())'.");
        }

        // Announced before the lock is let go: a Notify (which needs the lock) after that sees this sleeper and moves
        // the sequence, so none is missed between the release and the sleep.
        WaitWord notifications = WaitOn(0, 1);
        int seen = notifications.Value;
        notifications.Announce();
        int recursion = RobustLock.ExitFully(lockWord);
        try
        {
            // No slices: a sleeper woken by a slice would see the sequence moved by a Notify(1) meant for another and
            // leave too; Notify(n) wakes n. Disposing the condition wakes the sleepers instead (WakeSleepers).
            return notifications.SleepWhileUnchanged(seen, Deadline.After(timeoutMilliseconds), Segment, cancellationToken, sliceMilliseconds: -1);
        }
        finally
        {
            notifications.Withdraw();
            RobustLock.Reenter(lockWord, recursion, out _);
        }
    }
}
