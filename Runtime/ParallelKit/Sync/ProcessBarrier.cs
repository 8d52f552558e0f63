using System;
using System.Threading;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A barrier for a fixed number of parties in any threads and processes — Python's
/// <c>multiprocessing.Barrier</c>: each <see cref="SignalAndWait()"/> waits until all parties have arrived,
/// then all go on together, and the barrier is ready for the next round. A wait that times out breaks the
/// barrier (every waiter, and every later wait until <see cref="Reset"/>, gets
/// <see cref="BrokenBarrierException"/>), so a party that died cannot hang the rest for longer than their time-out.
/// </summary>
public sealed unsafe class ProcessBarrier : SharedObject, IMemoryPackFormatterRegister
{
    // Data words: 0 arrived in this round, 1 round (generation), 2 broken, 3 parties, 4 the last round that ended broken.
    private static readonly ulong Tag = TagOf<ProcessBarrier>();

    /// <summary>Creates a barrier in new shared memory, owned by this process.</summary>
    /// <param name="parties">How many must arrive before all go on.</param>
    public ProcessBarrier(int parties)
        : base(CreateSegment(parties))
    {
        *Word(3) = parties;
        *Word(4) = -1;
    }

    private ProcessBarrier(SharedSegment segment)
        : base(segment)
    {
    }

    /// <summary>How many must arrive before all go on.</summary>
    public int Parties => *Word(3);

    /// <summary>How many are waiting in the current round.</summary>
    public int Waiting => Volatile.Read(ref *Word(0));

    /// <summary>Whether the barrier is broken (a wait timed out, or <see cref="Abort"/> was called).</summary>
    public bool IsBroken => Volatile.Read(ref *Word(2)) != 0;

    /// <summary>Arrives and waits for the other parties.</summary>
    /// <returns>The order of arrival in this round, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="BrokenBarrierException">The barrier is or became broken.</exception>
    public int SignalAndWait() => SignalAndWait(-1);

    /// <summary>Arrives and waits for the other parties, at most <paramref name="timeout"/> (then the barrier breaks).</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>The order of arrival in this round, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="BrokenBarrierException">The barrier is or became broken (also by this time-out).</exception>
    public int SignalAndWait(TimeSpan timeout) => SignalAndWait(RobustLock.Milliseconds(timeout));

    /// <summary>Breaks the barrier: current and later waits throw <see cref="BrokenBarrierException"/> until <see cref="Reset"/>.</summary>
    public void Abort()
    {
        using (Lock())
        {
            Break();
        }
    }

    /// <summary>Mends the barrier for a new round; parties waiting now get <see cref="BrokenBarrierException"/>.</summary>
    public void Reset()
    {
        using (Lock())
        {
            // Parties waiting now see their round end broken; the barrier itself is whole again. A round
            // nobody waits in is not marked: it may be the one a timed-out party's peers are still leaving.
            if (*Word(0) > 0)
            {
                *Word(4) = *Word(1);
            }

            *Word(0) = 0;
            Volatile.Write(ref *Word(2), 0);
            Interlocked.Increment(ref *Word(1));
            Futex.Wake(Word(1), int.MaxValue);
        }
    }

    internal static ProcessBarrier Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessBarrier(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessBarrier() => HandleTypes.Declare<ProcessBarrier>(static () => new HandleFormatter<ProcessBarrier>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessBarrier>(Open));

    /// <summary>Checks the arguments before any file is created for the barrier.</summary>
    private static SharedSegment CreateSegment(int parties)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parties, 1);
        return SharedSegment.Create(5 * sizeof(int), Tag);
    }

    private LockScope Lock() => EnterLock(reentrant: false);

    private void Break()
    {
        Volatile.Write(ref *Word(2), 1);
        *Word(4) = *Word(1);
        *Word(0) = 0;
        Interlocked.Increment(ref *Word(1));
        Futex.Wake(Word(1), int.MaxValue);
    }

    private int SignalAndWait(int timeoutMilliseconds)
    {
        int* round = Word(1);
        int myRound;
        int index;
        using (Lock())
        {
            if (IsBroken)
            {
                throw new BrokenBarrierException();
            }

            myRound = *round;
            index = (*Word(0))++;
            if (index + 1 == Parties)
            {
                *Word(0) = 0;
                Interlocked.Increment(ref *round);
                Futex.Wake(round, int.MaxValue);
                return index;
            }
        }

        long started = Environment.TickCount64;
        while (Volatile.Read(ref *round) == myRound)
        {
            int wait = -1;
            if (timeoutMilliseconds >= 0)
            {
                long left = timeoutMilliseconds - (Environment.TickCount64 - started);
                if (left <= 0)
                {
                    using (Lock())
                    {
                        if (*round == myRound)
                        {
                            Break();
                            throw new BrokenBarrierException("The wait timed out; the barrier is broken.");
                        }
                    }

                    break;
                }

                wait = (int)left;
            }

            Futex.Wait(round, myRound, wait);
        }

        if (Volatile.Read(ref *Word(4)) == myRound)
        {
            throw new BrokenBarrierException();
        }

        return index;
    }
}

/// <summary>A <see cref="ProcessBarrier"/> is broken: a wait timed out, or it was aborted or reset while parties waited.</summary>
public sealed class BrokenBarrierException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BrokenBarrierException()
        : base("The barrier is broken: a party's wait timed out, or the barrier was aborted or reset. Call Reset() to use it again.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public BrokenBarrierException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public BrokenBarrierException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
