using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ParallelKit.Sync;

/// <summary>
/// A lock in four 32-bit words of shared memory that threads of any process can hold, and that survives
/// its holder's death: word 0 holds the owner's kernel thread id (plus a "someone sleeps" bit), word 1 the
/// owner's pid, word 2 the owner's recursion count, word 3 the owner thread's start stamp. A thread id is
/// reused once its thread has gone: pid, id and stamp together name the holder, so a dead holder whose id an
/// unrelated thread got is still seen as dead. Uncontended, entering is one
/// compare-and-swap and leaving one exchange. Contended, a thread spins briefly (the holder of a short
/// critical section is about to leave), then sleeps on a futex; every <see cref="OwnerCheckMilliseconds"/>
/// of sleep it checks that the owner still lives, and takes the lock over from a dead one, reporting it
/// abandoned (as .NET's Mutex does).
/// </summary>
internal static unsafe class RobustLock
{
    /// <summary>The bytes a lock occupies.</summary>
    public const int Size = 16;

    /// <summary>How often a sleeping waiter checks that the owner has not died.</summary>
    public const int OwnerCheckMilliseconds = 100;

    private const int WaitersBit = 0x4000_0000;
    private const int OwnerMask = 0x3FFF_FFFF;
    private const int SpinIterations = 48;

    private static readonly int s_processId = Environment.ProcessId;

    /// <summary>Whether the calling thread holds the lock.</summary>
    public static bool IsHeldByCurrentThread(int* word) => (Volatile.Read(ref *word) & OwnerMask) == ThreadIdentity.Current;

    /// <summary>
    /// Takes the lock, waiting at most <paramref name="timeoutMilliseconds"/> (no limit when negative).
    /// </summary>
    /// <param name="word">The lock's first word.</param>
    /// <param name="reentrant">Whether the holder may take it again (counted); if not, doing so throws.</param>
    /// <param name="timeoutMilliseconds">The longest wait; negative for none.</param>
    /// <param name="abandoned">Set when the previous holder died holding it.</param>
    /// <param name="lifetime">The segment holding the lock, if any: a wait still going when it is disposed throws.</param>
    /// <returns><see langword="false"/> when the time ran out.</returns>
    /// <exception cref="ObjectDisposedException"><paramref name="lifetime"/> was disposed while waiting.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Enter(int* word, bool reentrant, int timeoutMilliseconds, out bool abandoned, SharedMemory.SharedSegment? lifetime = null)
    {
        abandoned = false;
        int me = ThreadIdentity.Current;
        int state = Volatile.Read(ref *word);
        if (state == 0 && Interlocked.CompareExchange(ref *word, me, 0) == 0)
        {
            Acquired(word);
            return true;
        }

        if ((state & OwnerMask) == me)
        {
            if (!reentrant)
            {
                throw new LockRecursionException("This thread already holds the lock, which is not re-entrant (use ProcessRLock for that).");
            }

            word[2]++;
            return true;
        }

        return EnterContended(word, me, timeoutMilliseconds, out abandoned, lifetime);
    }

    /// <summary>Leaves the lock (once, for a re-entrant holder); wakes one sleeper when the lock comes free.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exit(int* word)
    {
        int state = Volatile.Read(ref *word);
        if ((state & OwnerMask) != ThreadIdentity.Current)
        {
            throw new SynchronizationLockException(
                "The lock is released by a thread that does not hold it (was it held across an 'await' that resumed on another thread?).");
        }

        if (--word[2] > 0)
        {
            return;
        }

        word[1] = 0;
        word[3] = 0;
        if ((Interlocked.Exchange(ref *word, 0) & WaitersBit) != 0)
        {
            Futex.Wake(word, 1);
        }
    }

    /// <summary>Leaves the lock however many times the caller holds it (a condition's wait); returns that count.</summary>
    public static int ExitFully(int* word)
    {
        int state = Volatile.Read(ref *word);
        if ((state & OwnerMask) != ThreadIdentity.Current)
        {
            throw new SynchronizationLockException("The lock must be held by the calling thread.");
        }

        int recursion = word[2];
        word[2] = 1;
        Exit(word);
        return recursion;
    }

    /// <summary>Takes the lock again after <see cref="ExitFully"/>, restoring the recursion count.</summary>
    public static bool Reenter(int* word, int recursion, out bool abandoned)
    {
        Enter(word, reentrant: true, -1, out abandoned);
        word[2] = recursion;
        return true;
    }

    /// <summary>Converts a .NET time-out to milliseconds for <see cref="Enter"/> (negative: none).</summary>
    public static int Milliseconds(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        return (int)Math.Min(int.MaxValue - 1, Math.Ceiling(timeout.TotalMilliseconds));
    }

    private static void Acquired(int* word)
    {
        word[1] = s_processId;
        word[2] = 1;
        word[3] = ThreadIdentity.CurrentStartStamp;
    }

    private static bool EnterContended(int* word, int me, int timeoutMilliseconds, out bool abandoned, SharedMemory.SharedSegment? lifetime)
    {
        abandoned = false;

        // The holder of a short critical section is about to leave: a few microseconds of spinning beat a sleep.
        for (int i = 0; i < SpinIterations; i++)
        {
            Thread.SpinWait(4 << Math.Min(i, 5));
            if (Volatile.Read(ref *word) == 0 && Interlocked.CompareExchange(ref *word, me, 0) == 0)
            {
                Acquired(word);
                return true;
            }
        }

        Deadline deadline = Deadline.After(timeoutMilliseconds);
        long lastOwnerCheck = Environment.TickCount64;
        while (true)
        {
            int state = Volatile.Read(ref *word);
            if (state == 0)
            {
                // Others may sleep too: keep the bit, so that leaving wakes one of them.
                if (Interlocked.CompareExchange(ref *word, me | WaitersBit, 0) == 0)
                {
                    Acquired(word);
                    return true;
                }

                continue;
            }

            if ((state & WaitersBit) == 0 && Interlocked.CompareExchange(ref *word, state | WaitersBit, state) != state)
            {
                continue;
            }

            int wait = deadline.Slice(OwnerCheckMilliseconds);
            if (wait == 0)
            {
                return false;
            }

            if (lifetime is not null)
            {
                ObjectDisposedException.ThrowIf(lifetime.IsDisposed, lifetime);
            }

            Futex.Wait(word, state | WaitersBit, wait);

            long now = Environment.TickCount64;
            if (now - lastOwnerCheck >= OwnerCheckMilliseconds && Volatile.Read(ref *word) == (state | WaitersBit))
            {
                lastOwnerCheck = now;
                // Pid and stamp are written just after the owner's compare-and-swap, and cleared before its release:
                // read while the word still names that owner. Zeros (not yet written) fall back to the thread id.
                int ownerPid = Volatile.Read(ref word[1]);
                int ownerStamp = Volatile.Read(ref word[3]);
                if (Volatile.Read(ref *word) == (state | WaitersBit)
                    && !ThreadIdentity.IsAlive(ownerPid, state & OwnerMask, ownerStamp)
                    && Interlocked.CompareExchange(ref *word, me | WaitersBit, state | WaitersBit) == (state | WaitersBit))
                {
                    abandoned = true;
                    Acquired(word);
                    return true;
                }
            }
        }
    }
}
