using System;
using System.Threading;
using System.Threading.Tasks;
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
/// As Python's, a barrier may have an action (run by exactly one party once all have arrived, before any is
/// released) and a default time-out for the waits that give none.
/// </summary>
public sealed unsafe class ProcessBarrier : SharedObject, IMemoryPackFormatterRegister
{
    // Data words: 0 arrived in this round, 1 round (generation), 2 broken, 3 parties, 4 the last round that ended
    // broken, 5 the default time-out in milliseconds (-1: none), 6 the action's length in bytes (0: none); then
    // the action's marshaled call (key and arguments), for whichever process's party arrives last.
    private const int HeaderWords = 7;
    private static readonly ulong Tag = TagOf<ProcessBarrier>();

    // The action as given, in the process that created the barrier (others decode it from the segment).
    private JobCall? _action;

    /// <summary>Creates a barrier in new shared memory, owned by this process.</summary>
    /// <param name="parties">How many must arrive before all go on.</param>
    public ProcessBarrier(int parties)
        : this(parties, action: null, timeout: null)
    {
    }

    /// <summary>
    /// Creates a barrier with an action and a default time-out — Python's <c>Barrier(parties, action, timeout)</c>.
    /// </summary>
    /// <param name="parties">How many must arrive before all go on.</param>
    /// <param name="action">
    /// A job call (e.g. <c>Stages.Jobs.Merge(results)</c>) run by the last party to arrive, in its own process and
    /// thread, before any party is released; <see langword="null"/> for none. It is a job call rather than a
    /// delegate because the last party may be in another process: its arguments are marshaled once, here. If it
    /// throws, the barrier breaks (the other parties get <see cref="BrokenBarrierException"/>) and the party
    /// that ran it gets the exception.
    /// </param>
    /// <param name="timeout">The time-out of waits that give none (<see cref="SignalAndWait()"/>); <see langword="null"/> for none.</param>
    public ProcessBarrier(int parties, JobCall? action, TimeSpan? timeout = null)
        : base(CreateSegment(parties, action, timeout, out byte[]? marshaledAction))
    {
        *Word(3) = parties;
        *Word(4) = -1;
        *Word(5) = timeout is { } limit ? RobustLock.Milliseconds(limit) : -1;
        if (marshaledAction is not null)
        {
            *Word(6) = marshaledAction.Length;
            marshaledAction.CopyTo(new Span<byte>(Word(HeaderWords), marshaledAction.Length));
        }

        _action = action;
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

    /// <summary>The time-out of waits that give none; <see langword="null"/> for none.</summary>
    public TimeSpan? DefaultTimeout => *Word(5) is int milliseconds and >= 0 ? TimeSpan.FromMilliseconds(milliseconds) : null;

    /// <summary>Arrives and waits for the other parties (at most <see cref="DefaultTimeout"/>, when there is one).</summary>
    /// <returns>The order of arrival in this round, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="BrokenBarrierException">The barrier is or became broken (also by the default time-out).</exception>
    public int SignalAndWait() => SignalAndWait(*Word(5));

    /// <summary>
    /// Arrives and waits for the other parties without blocking the calling thread (at most
    /// <see cref="DefaultTimeout"/>, when there is one). Cancelling breaks the barrier, as a time-out does: the
    /// others cannot complete the round without this party.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting and breaks the barrier.</param>
    /// <returns>The order of arrival in this round, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="BrokenBarrierException">The barrier is or became broken.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<int> SignalAndWaitAsync(CancellationToken cancellationToken = default) => SignalAndWaitAsync(*Word(5), cancellationToken);

    /// <summary>Arrives and waits for the other parties, at most <paramref name="timeout"/>, without blocking the calling thread.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit); over it the barrier breaks.</param>
    /// <param name="cancellationToken">Stops waiting and breaks the barrier.</param>
    /// <returns>The order of arrival in this round, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="BrokenBarrierException">The barrier is or became broken (also by this time-out).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<int> SignalAndWaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => SignalAndWaitAsync(RobustLock.Milliseconds(timeout), cancellationToken);

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
            WaitOn(1, -1).Wake(int.MaxValue);
        }
    }

    internal static ProcessBarrier Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessBarrier(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessBarrier() => HandleTypes.Declare<ProcessBarrier>(static () => new HandleFormatter<ProcessBarrier>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessBarrier>(Open));

    /// <summary>Checks the arguments before any file is created for the barrier.</summary>
    private static SharedSegment CreateSegment(int parties, JobCall? action, TimeSpan? timeout, out byte[]? marshaledAction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parties, 1);
        if (timeout is { } limit)
        {
            _ = RobustLock.Milliseconds(limit); // validates
        }

        marshaledAction = action?.MarshalKeyAndArguments();
        return SharedSegment.Create((HeaderWords * sizeof(int)) + (marshaledAction?.Length ?? 0), Tag);
    }

    private LockScope Lock() => EnterLock(reentrant: false);

    private void Break()
    {
        Volatile.Write(ref *Word(2), 1);
        *Word(4) = *Word(1);
        *Word(0) = 0;
        Interlocked.Increment(ref *Word(1));
        WaitOn(1, -1).Wake(int.MaxValue);
    }

    private int SignalAndWait(int timeoutMilliseconds)
    {
        if (!Arrive(out int myRound, out int index))
        {
            WaitForRound(myRound, timeoutMilliseconds, breakWhenDue: true);
        }

        return index;
    }

    private Task<int> SignalAndWaitAsync(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<int>(cancellationToken);
        }

        if (Arrive(out int myRound, out int index))
        {
            return Task.FromResult(index);
        }

        // Slices of the wait; the one in which the time-out falls breaks the barrier when it runs out. A cancelled
        // wait breaks it too: the others cannot complete the round without this party.
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        Task<bool> waiting = AsyncWait.Run(
            slice => WaitForRound(myRound, deadline.Slice(slice), breakWhenDue: deadline.EndsWithin(slice)),
            -1,
            cancellationToken);
        return AsyncWait.ThenOnCancel(waiting, index, () => BreakRound(myRound, throwIfBroken: false));
    }

    /// <summary>
    /// Arrives in the current round. Returns <see langword="true"/> when this party completed the round (it was
    /// the last: the action has run and the others are released); otherwise the caller waits for the round.
    /// </summary>
    private bool Arrive(out int myRound, out int index)
    {
        int* round = Word(1);
        using (Lock())
        {
            if (IsBroken)
            {
                throw new BrokenBarrierException();
            }

            myRound = *round;
            index = (*Word(0))++;
            if (index + 1 < Parties)
            {
                return false;
            }
        }

        // The last party: the action runs before anyone is released (the others wait on the round, which has not
        // changed). Outside the lock, so a long action does not block Abort, Reset or a waiter's time-out.
        Exception? failed = null;
        try
        {
            RunAction();
        }
        catch (Exception ex)
        {
            failed = ex;
        }

        using (Lock())
        {
            if (*round != myRound || failed is not null)
            {
                if (*round == myRound)
                {
                    Break();
                }

                if (failed is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
                }

                throw new BrokenBarrierException();
            }

            *Word(0) = 0;
            Interlocked.Increment(ref *round);
            WaitOn(1, -1).Wake(int.MaxValue);
        }

        return true;
    }

    /// <summary>
    /// Waits at most <paramref name="timeoutMilliseconds"/> (negative: no limit) for the round to end: true when it
    /// ended whole, false when the time is up (then, with <paramref name="breakWhenDue"/>, the barrier breaks and
    /// this throws). Throws <see cref="BrokenBarrierException"/> when the round ended broken.
    /// </summary>
    private bool WaitForRound(int myRound, int timeoutMilliseconds, bool breakWhenDue)
    {
        using SegmentUse use = Use();
        var ended = new RoundEnded(Word(1), myRound);
        if (!WaitOn(1, -1).WaitUntil(ref ended, Deadline.After(timeoutMilliseconds), Segment))
        {
            if (breakWhenDue)
            {
                BreakRound(myRound, throwIfBroken: true);
            }

            if (!ended.IsMet())
            {
                return false;
            }
        }

        if (Volatile.Read(ref *Word(4)) == myRound)
        {
            throw new BrokenBarrierException();
        }

        return true;
    }

    /// <summary>Breaks the barrier if <paramref name="myRound"/> is still going on (a wait that gave up); throws when <paramref name="throwIfBroken"/>.</summary>
    private void BreakRound(int myRound, bool throwIfBroken)
    {
        using (Lock())
        {
            if (*Word(1) == myRound)
            {
                Break();
                if (throwIfBroken)
                {
                    throw new BrokenBarrierException("The wait timed out; the barrier is broken.");
                }
            }
        }
    }

    private void RunAction()
    {
        int length = *Word(6);
        if (length == 0)
        {
            return;
        }

        JobCall action = _action ??= LocalJobRunner.Decode(new ReadOnlySpan<byte>(Word(HeaderWords), length), "a barrier's action");
        LocalJobRunner.Run(action);
    }

    /// <summary>The wait's condition: the round this party arrived in is over (whole or broken).</summary>
    private readonly struct RoundEnded(int* round, int myRound) : IWaitCondition
    {
        public bool IsMet() => Volatile.Read(ref *round) != myRound;
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
