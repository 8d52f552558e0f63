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
    // Data words: 0 notification sequence, 1 sleeping waiters, 2 notifications granted and not yet taken. Words 1 and
    // 2 move only under the lock, so a notification goes to exactly one waiter, as Python's does.
    private const int GrantedWord = 2;
    private static readonly ulong Tag = TagOf<ProcessCondition>();

    /// <summary>Creates a condition, and its lock, in new shared memory owned by this process.</summary>
    public ProcessCondition()
        : base(SharedSegment.Create(3 * sizeof(int), Tag))
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

        // Granted only to waiters that have none yet: a notification with nobody waiting is lost, as in Python.
        WaitWord notifications = WaitOn(0, 1);
        int* granted = Word(GrantedWord);
        int grant = Math.Min(count, notifications.Sleepers - *granted);
        if (grant > 0)
        {
            Volatile.Write(ref *granted, *granted + grant);
            notifications.Advance(grant);
        }
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
        int* granted = Word(GrantedWord);
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        notifications.Announce();
        while (true)
        {
            int seen = notifications.Value;
            int recursion = RobustLock.ExitFully(lockWord);
            bool moved;
            try
            {
                // No slices: Notify(n) wakes n. Disposing the condition wakes the sleepers instead (WakeSleepers).
                moved = notifications.SleepWhileUnchanged(seen, deadline, Segment, cancellationToken, sliceMilliseconds: -1);
            }
            catch
            {
                RobustLock.Reenter(lockWord, recursion, out _);
                LeaveLocked(notifications, granted, took: false);
                throw;
            }

            RobustLock.Reenter(lockWord, recursion, out _);

            // Back under the lock: a waiter leaves on a notification only if one was granted and nobody took it first
            // (a waiter not yet asleep when the sequence moved sees it move too, and may be the one that takes it).
            if (*granted > 0)
            {
                LeaveLocked(notifications, granted, took: true);
                return true;
            }

            if (!moved)
            {
                // The time ran out (a sleep returns unmoved only then).
                LeaveLocked(notifications, granted, took: false);
                return false;
            }
        }
    }

    /// <summary>A waiter leaves (holding the lock): out of the sleepers, with the notification it took.</summary>
    private static void LeaveLocked(WaitWord notifications, int* granted, bool took)
    {
        if (took)
        {
            Volatile.Write(ref *granted, *granted - 1);
        }

        notifications.Withdraw();
        if (*granted > notifications.Sleepers)
        {
            // A waiter that timed out or was cancelled after its notification was granted: the grant goes with it.
            Volatile.Write(ref *granted, notifications.Sleepers);
        }
    }
}
