using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ParallelKit.CspRuntime;

/// <summary>
/// One waiting read, write or alternation: the offers it left on its channels all point here, and whoever
/// completes it first (a matching reader or writer, a poisoner, its timeout, its cancellation) claims it with
/// one compare-and-swap. That claim is what makes a guard that was not chosen never consume a message: a
/// channel hands a value over only to an offer whose selection it has just claimed, holding its own lock.
/// </summary>
/// <remarks>
/// <para>
/// A selection whose offers include one on a channel in shared memory (<see cref="SharedChannel"/>) claims and
/// signals through a slot of that channel's <see cref="CspArena"/> instead of its own fields, so that a reader or
/// writer in another OS process can complete it; see <see cref="CspArena"/> for that slot's protocol.
/// </para>
/// <para>
/// Selections are pooled (one per thread): a waiting read or write allocates nothing once warm. The waiter
/// spins briefly before it parks (the peer of a busy network acts within microseconds, and parking costs a
/// thread-pool hop or a sleep); parking is a <see cref="ManualResetValueTaskSourceCore{TResult}"/> for async
/// waiters and a monitor wait for blocking ones. An async waiter's continuation never runs inside the signal (its
/// signaler may hold a channel's lock): it becomes the signaling thread's hand-off or a thread-pool item
/// (<see cref="CspRunner"/>).
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The timer is disposed by Disarm, which every waiter calls when its wait is over.")]
internal sealed class Selection : IValueTaskSource, IThreadPoolWorkItem
{
    /// <summary>Nothing has claimed it yet.</summary>
    public const int Waiting = -1;

    /// <summary>Claimed by a poisoned channel.</summary>
    public const int Poisoned = -2;

    /// <summary>Claimed by a channel whose other side retired.</summary>
    public const int Retired = -3;

    /// <summary>Claimed by the waiter's cancellation token.</summary>
    public const int Cancelled = -4;

    /// <summary>Claimed by the waiter's timeout guard.</summary>
    public const int TimedOut = -5;

    // Where the waiter is: Open until it parks (it may be spinning); Parked, set by the waiter, means the one
    // signal must complete its task or pulse its monitor; Signaled is set once, by Signal.
    private const int Open = 0;
    private const int Parked = 1;
    private const int Signaled = 2;

    [ThreadStatic]
    private static Selection? t_cached;

    [ThreadStatic]
    private static bool t_signaling; // set while WakeParked completes a waiter from the thread that claimed it (maybe holding a lock)

    private static readonly Action<object?> s_relay = Relay;

    // Continuations never run inside SetResult: every one goes through Relay, which hands it to CspRunner.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private Action<object?>? _continuation;
    private object? _continuationState;
    private bool _contextual; // the continuation captured a context to run in or an execution context to flow
    private int _outcome = Waiting;
    private int _park; // Open, Parked or Signaled
    private bool _async;
    private CancellationTokenRegistration _cancellation;
    private Timer? _timer;
    private readonly Lock _disarmGate = new(); // Disarm vs a timer callback still running (Timer.Dispose does not wait for it)
    private bool _disarmed;
    private CspArena? _arena;
    private int _slot;
    private int _dispatched; // 1 from CspRunner.Dispatch until a thread claims the continuation to run it
    private bool _timed;     // Signal notes when it was signaled (a fair selection's wait for one guard)
    private long _signaledAt;
    private long _resumedAt; // when a blocking waiter last resumed after its signal (kept across reuse)
    private long _deadline;  // when an armed time-out is due (Stopwatch ticks)
    private int _failedGuard = -1; // see FailedGuard, for a selection without an arena slot

    /// <summary>The guard index that was chosen, or one of the negative outcomes; <see cref="Waiting"/> until claimed.</summary>
    public int Outcome => _arena is { } arena ? arena.ClaimOf(_slot) : Volatile.Read(ref _outcome);

    /// <summary>The channel's name, for the exception of a <see cref="Poisoned"/> or <see cref="Retired"/> outcome.</summary>
    public string? FailedChannel { get; private set; }

    /// <summary>
    /// For a <see cref="Poisoned"/> or <see cref="Retired"/> outcome: the index of the guard whose channel failed it, or
    /// -1 when unknown. In the selection's arena slot once it has one (a poisoner in another OS process cannot name the channel).
    /// </summary>
    public int FailedGuard => _arena is { } arena ? arena.FailedGuardOf(_slot) : Volatile.Read(ref _failedGuard);

    /// <summary>The arena whose slot this selection claims through, once it has an offer on a shared channel.</summary>
    public CspArena? Arena => _arena;

    /// <summary>The slot in <see cref="Arena"/>.</summary>
    public int Slot => _slot;

    /// <summary>A selection from this thread's pool (or a new one) for a blocking or async wait.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Selection Rent(bool async)
    {
        Selection selection = t_cached ?? new Selection();
        t_cached = null;
        selection._async = async;
        return selection;
    }

    /// <summary>
    /// Gives the selection back to this thread's pool once its waiter has finished with it (its offers withdrawn, its
    /// slot freed). A selection that armed a timer is not reused: the timer's callback may still run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Return()
    {
        if (TryReset(_async))
        {
            t_cached = this;
        }
    }

    /// <summary>Makes the selection ready for another wait by its owner (an offer that reuses it); false when it cannot be reused (a timer may still fire).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReset(bool async)
    {
        if (_timer is not null)
        {
            return false;
        }

        _outcome = Waiting;
        _park = Open;
        _disarmed = false;
        _core.Reset();
        FailedChannel = null;
        _failedGuard = -1;
        _arena = null;
        _slot = 0;
        _async = async;
        _timed = false;
        _signaledAt = 0;
        return true;
    }

    /// <summary>Makes <see cref="Signal"/> note when it is called (<see cref="SignaledAt"/>): when a peer completed the wait, not when its waiter resumed.</summary>
    public void TimeSignal() => _timed = true;

    /// <summary>When <see cref="Signal"/> was called, in <see cref="Stopwatch"/> ticks, once <see cref="TimeSignal"/> asked for it (0: not yet, or not asked).</summary>
    public long SignaledAt => Volatile.Read(ref _signaledAt);

    /// <summary>The version of the wait's task, for a <see cref="ValueTask"/> over another source that forwards here.</summary>
    public short Version => _core.Version;

    /// <summary>Claims through <paramref name="slot"/> of <paramref name="arena"/> from now on; the caller holds the arena's lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AttachSlot(CspArena arena, int slot)
    {
        _arena = arena;
        _slot = slot;
    }

    /// <summary>Claims the selection for <paramref name="outcome"/>; false when someone else claimed it first.</summary>
    public bool TryClaim(int outcome) => _arena is { } arena
        ? arena.TryClaim(_slot, outcome)
        : Interlocked.CompareExchange(ref _outcome, outcome, Waiting) == Waiting;

    /// <summary>Claims the selection for a failure of channel <paramref name="channel"/>, its guard <paramref name="guard"/>, and signals it.</summary>
    public bool TryFail(int outcome, string channel, int guard)
    {
        if (!TryClaim(outcome))
        {
            return false;
        }

        FailedChannel = channel;
        if (_arena is { } arena)
        {
            arena.SetFailedGuard(_slot, guard);
        }
        else
        {
            Volatile.Write(ref _failedGuard, guard);
        }

        Signal();
        return true;
    }

    /// <summary>Wakes the waiter; called once, by the claimer, once the value has moved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Signal()
    {
        if (_timed)
        {
            _signaledAt = Stopwatch.GetTimestamp();
        }

        if (_arena is { } arena)
        {
            arena.Signal(_slot);
            return;
        }

        if (Interlocked.Exchange(ref _park, Signaled) == Parked)
        {
            WakeParked();
        }
    }

    /// <summary>
    /// Completes a parked waiter. An async waiter's continuation never runs here: the caller may hold a channel's
    /// lock, so it becomes this thread's hand-off or goes to the thread pool (<see cref="CspRunner.Dispatch"/>);
    /// <paramref name="inline"/> (a doorbell thread that holds no lock and is about to idle) runs it on the calling
    /// thread instead, with the hand-offs it makes (<see cref="CspRunner.Run"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WakeParked(bool inline = false)
    {
        if (_async)
        {
            bool signaling = t_signaling;
            t_signaling = !inline;
            try
            {
                _core.SetResult(true);
            }
            finally
            {
                t_signaling = signaling;
            }
        }
        else
        {
            lock (this)
            {
                Monitor.PulseAll(this);
            }
        }
    }

    /// <summary>Runs the async wait's continuation (on a thread that holds no lock: a <see cref="CspRunner"/>'s).</summary>
    public void InvokeContinuation()
    {
        Action<object?> continuation = _continuation!;
        object? state = _continuationState;
        _continuation = null;
        _continuationState = null;
        continuation(state);
    }

    /// <summary>
    /// Marks a completed waiter's continuation as dispatched (<see cref="CspRunner.Dispatch"/>): from now on it may sit
    /// in more than one place (a thread's displaced hand-offs and the thread pool), and whichever takes it first with
    /// <see cref="TryClaimDispatch"/> runs it.
    /// </summary>
    public void MarkDispatched() => Volatile.Write(ref _dispatched, 1);

    /// <summary>Whether a dispatched continuation is still unclaimed.</summary>
    public bool IsDispatched => Volatile.Read(ref _dispatched) == 1;

    /// <summary>
    /// Whether its waiter was signaled and has not finished with it yet (its continuation or its thread has not run
    /// up to giving it back): a writer whose value was taken is then on its way back. A hint, read without a lock; a
    /// selection that armed a timer is never reused, and says no.
    /// </summary>
    public bool IsOnItsWayBack => Volatile.Read(ref _park) == Signaled && _arena is null && Volatile.Read(ref _timer) is null;

    /// <summary>Takes the dispatched continuation to run it; false when another thread took it first.</summary>
    public bool TryClaimDispatch() => Volatile.Read(ref _dispatched) == 1 && Interlocked.Exchange(ref _dispatched, 0) == 1;

    /// <summary>A completed waiter queued to the thread pool: runs its continuation, then the hand-offs it makes (unless a runner took it first).</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (TryClaimDispatch())
        {
            CspRunner.Run(this);
        }
    }

    /// <summary>Blocks until signaled; <paramref name="timeoutMilliseconds"/> (-1: no limit) and the token claim it if nobody did first.</summary>
    public void Wait(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        Arm(timeoutMilliseconds, cancellationToken);
        if (_arena is { } arena)
        {
            arena.WaitBlocking(_slot);
            return;
        }

        long deadline = CspSpin.Deadline(CspSpin.LocalBlockingTicks);
        do
        {
            if (Volatile.Read(ref _park) == Signaled)
            {
                Volatile.Write(ref _resumedAt, Stopwatch.GetTimestamp());
                return;
            }
        }
        while (CspSpin.Pause(deadline));

        CspRunner.BeforeBlocking();
        lock (this)
        {
            if (Interlocked.CompareExchange(ref _park, Parked, Open) == Open)
            {
                while (Volatile.Read(ref _park) != Signaled)
                {
                    Monitor.Wait(this);
                }
            }
        }

        Volatile.Write(ref _resumedAt, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// When a blocking waiter using this selection last resumed after it was signaled (<see cref="Stopwatch"/> ticks; 0:
    /// never): a fair selection waiting for that waiter to come back does not count against it the time it spent
    /// waking (on a loaded host, waiting for a core). Selections are per thread, so it is that thread's last resume.
    /// </summary>
    public long ResumedAt => Volatile.Read(ref _resumedAt);

    /// <summary>Completes when signaled; <paramref name="timeoutMilliseconds"/> (-1: no limit) and the token claim it if nobody did first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask WaitAsync(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        Arm(timeoutMilliseconds, cancellationToken);
        if (_arena is { } arena)
        {
            return arena.WaitAsync(_slot, this) ? default : new ValueTask(this, _core.Version);
        }

        long deadline = CspSpin.Deadline(CspSpin.LocalAsyncTicks);
        do
        {
            if (Volatile.Read(ref _park) == Signaled)
            {
                return default;
            }
        }
        while (CspSpin.Pause(deadline));

        return Interlocked.CompareExchange(ref _park, Parked, Open) == Open
            ? new ValueTask(this, _core.Version)
            : default;
    }

    /// <summary>Drops the timer and the token's registration once the wait is over (before <see cref="Return"/>).</summary>
    public void Disarm()
    {
        lock (_disarmGate)
        {
            // A timer callback that already runs Expire finishes first; a later one claims nothing (the slot may be freed and reused).
            _disarmed = true;
        }

        _cancellation.Dispose();
        _cancellation = default;
        _timer?.Dispose();
    }

    /// <summary>Ends an async wait (<see cref="IValueTaskSource.GetResult"/>).</summary>
    public void GetResult(short token) => _core.GetResult(token);

    /// <summary>The async wait's status (<see cref="IValueTaskSource.GetStatus"/>).</summary>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <summary>Schedules the async wait's continuation (<see cref="IValueTaskSource.OnCompleted"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        _continuation = continuation;
        _continuationState = state;
        _contextual = (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0
            || ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
                && ((SynchronizationContext.Current is { } context && context.GetType() != typeof(SynchronizationContext)) || TaskScheduler.Current != TaskScheduler.Default));

        // The core captures what the flags ask for and calls Relay there: at once from SetResult (then on the signaling
        // thread), or posted to the captured context, or queued when the wait had completed before this call.
        _core.OnCompleted(s_relay, this, token, flags);
    }

    /// <summary>
    /// The continuation's way out of the core: from the thread that signaled (<see cref="t_signaling"/>, maybe holding
    /// a lock) it becomes a hand-off or a thread-pool item; anywhere else (a pool item the core queued, a posted
    /// context, a doorbell thread running it inline) it runs now.
    /// </summary>
    private static void Relay(object? state)
    {
        var selection = (Selection)state!;
        if (!t_signaling)
        {
            if (selection._contextual)
            {
                selection.InvokeContinuation(); // already where it asked to run
            }
            else
            {
                CspRunner.Run(selection);
            }
        }
        else if (selection._contextual)
        {
            // An inline post of its context, or the execution context it flows (the core runs this inside it): queued with it.
            ThreadPool.QueueUserWorkItem(static s => ((Selection)s!).InvokeContinuation(), selection, preferLocal: true);
        }
        else
        {
            CspRunner.Dispatch(selection);
        }
    }

    /// <summary>Lets the timeout and the token claim the selection (a timeout of 0 claims it at once if nobody did).</summary>
    private void Arm(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static state => ((Selection)state!).Expire(Cancelled), this);
        }

        if (timeoutMilliseconds >= 0)
        {
            _deadline = Stopwatch.GetTimestamp() + (timeoutMilliseconds * Stopwatch.Frequency / 1000);
            _timer = new Timer(static state => ((Selection)state!).TimerFired(), this, timeoutMilliseconds, Timeout.Infinite);
        }
    }

    /// <summary>
    /// The timer's callback: the time-out, unless it came early. Timers run on a coarse clock (on Linux, a scheduler
    /// tick: up to 4 ms early), and a selection must not end on a 100 ms time-out after 97 ms; then it sets the timer
    /// again for what is left.
    /// </summary>
    private void TimerFired()
    {
        long early = _deadline - Stopwatch.GetTimestamp();
        if (early > 0)
        {
            lock (_disarmGate)
            {
                // Disarmed: the wait is over. No timer yet (the thread that armed it was preempted before it kept it):
                // time out now rather than never.
                if (_disarmed || Volatile.Read(ref _timer) is not { } timer)
                {
                    early = 0;
                }
                else
                {
                    timer.Change((int)Math.Max(1, ((early * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency), Timeout.Infinite);
                }
            }

            if (early > 0)
            {
                return;
            }
        }

        Expire(TimedOut);
    }

    private void Expire(int outcome)
    {
        lock (_disarmGate)
        {
            if (!_disarmed && TryClaim(outcome))
            {
                Signal();
            }
        }
    }
}

/// <summary>A waiting read or write left on one channel; <see cref="Selection"/> says whether it is still wanted.</summary>
internal abstract class Offer
{
    /// <summary>The waiter this offer belongs to.</summary>
    public Selection Selection { get; set; } = null!;

    /// <summary>The guard index the waiter's selection takes when this offer is the one matched.</summary>
    public int GuardIndex { get; set; }

    /// <summary>For an input guard's offer that was matched: the value read (after <see cref="Withdraw"/>).</summary>
    public virtual object? Boxed => null;

    /// <summary>For an offer that was matched: whether its value was lost with the process at the other end, which died in the hand-over.</summary>
    public virtual bool LostValue => false;

    /// <summary>Removes the offer from its channel's queue if it is still there.</summary>
    public abstract void Withdraw();

    /// <summary>Removes an offer never matched (its value, if any, freed), holding its channel's lock and its arena's: an alternation that failed to leave all its offers.</summary>
    public abstract void WithdrawLocked();
}
