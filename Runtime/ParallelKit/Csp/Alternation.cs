using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// A choice between guards (PyCSP's <c>Alternation</c>, occam's <c>ALT</c>): input guards, output guards,
/// <see cref="Guard.Skip"/> and <see cref="Guard.Timeout(TimeSpan)"/>. A selection performs exactly one
/// guard's operation: a guard not chosen never takes or gives a value, even when other readers and writers
/// race it on the same channels.
/// </summary>
/// <example>
/// <code>
/// var left = a.Reader().Guard();
/// var alt = new Alternation(left, b.Reader().Guard(), Guard.Timeout(TimeSpan.FromSeconds(1)));
/// Choice chosen = await alt.FairSelectAsync();
/// if (chosen.Guard == left) Console.WriteLine(chosen.Value);
/// </code>
/// </example>
/// <remarks>
/// A selection locks the channels of its enabled guards (in one global order, so selections never deadlock
/// each other), performs the first ready guard in its order, or else leaves an offer on every channel and
/// waits: the first reader or writer to claim the selection wins, and the other offers are withdrawn.
/// </remarks>
public sealed class Alternation
{
    private readonly Guard[] _guards;
    private int _lastChosen = -1;
    private int[]? _returns; // per guard, for fair selections: how promptly its peer in another OS process came back lately (CountReturn)

    /// <summary>Prompt returns in a row after which a fair selection waits for a peer across processes even after it has seen its hand-over.</summary>
    private const int SteadyReturns = 4;

    /// <summary>How long a fair selection waits for a steady peer in its own OS process at most (<see cref="AwaitSteadyPeer"/>).</summary>
    private static readonly TimeSpan SteadyPatience = TimeSpan.FromMilliseconds(20);

    /// <summary>How soon such a peer comes back to count as prompt: a thread woken on a loaded host gets a core within it, mostly.</summary>
    private static readonly TimeSpan SteadyLate = TimeSpan.FromMilliseconds(5);

    /// <summary><see cref="SteadyLate"/> in <see cref="Stopwatch"/> ticks.</summary>
    private static readonly long SteadyLateTicks = (long)(SteadyLate.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Waits for a steady peer that ended with the peer not back (<see cref="AwaitSteadyPeer"/>): what they cost is visible to tests (read by reflection).</summary>
    internal int SteadyWaitsTimedOut;

    /// <summary>Waits for a starting peer (<see cref="AwaitStartingPeer"/>) that ended with no peer; for tests.</summary>
    internal int StartWaitsTimedOut;

    /// <summary>How long a fair selection waits at most for a peer whose process has not used its ends yet (<see cref="AwaitStartingPeer"/>), once per channel side in vain.</summary>
    private static readonly TimeSpan StartPatience = TimeSpan.FromMilliseconds(200);

    /// <summary>How long such a wait parks before it looks again whether the peers' processes have started.</summary>
    private static readonly TimeSpan StartSlice = TimeSpan.FromMilliseconds(2);

    /// <summary>Creates an alternation over <paramref name="guards"/>, in priority order.</summary>
    /// <param name="guards">The guards.</param>
    /// <exception cref="ArgumentException">No guards were given, or one is <see langword="null"/>.</exception>
    public Alternation(params Guard[] guards)
    {
        ArgumentNullException.ThrowIfNull(guards);
        if (guards.Length == 0)
        {
            throw new ArgumentException("An alternation needs at least one guard.", nameof(guards));
        }

        foreach (Guard guard in guards)
        {
            if (guard is null)
            {
                throw new ArgumentException("A guard is null.", nameof(guards));
            }
        }

        _guards = (Guard[])guards.Clone();
    }

    /// <summary>The guards, in priority order.</summary>
    public IReadOnlyList<Guard> Guards => _guards;

    private enum Order
    {
        Arbitrary,
        Priority,
        Fair,
    }

    /// <summary>Chooses a ready guard, any of them (PyCSP's <c>select</c>), waiting until one is ready.</summary>
    /// <returns>What was chosen.</returns>
    /// <exception cref="ChannelPoisonedException">A guard's channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">A guard's channel (or end) is retired.</exception>
    /// <exception cref="InvalidOperationException">Every guard is disabled.</exception>
    public Choice Select() => SelectCore(Order.Arbitrary, CancellationToken.None);

    /// <summary>Chooses the first ready guard in the order given (PyCSP's <c>priSelect</c>).</summary>
    /// <returns>What was chosen.</returns>
    /// <exception cref="ChannelPoisonedException">A guard's channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">A guard's channel (or end) is retired.</exception>
    /// <exception cref="InvalidOperationException">Every guard is disabled.</exception>
    public Choice PriSelect() => SelectCore(Order.Priority, CancellationToken.None);

    /// <summary>
    /// Chooses a ready guard, giving the one chosen last time the lowest priority (PyCSP's <c>fairSelect</c>):
    /// no guard that is ready again and again is starved.
    /// </summary>
    /// <returns>What was chosen.</returns>
    /// <exception cref="ChannelPoisonedException">A guard's channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">A guard's channel (or end) is retired.</exception>
    /// <exception cref="InvalidOperationException">Every guard is disabled.</exception>
    public Choice FairSelect() => SelectCore(Order.Fair, CancellationToken.None);

    /// <summary>The async form of <see cref="Select"/>.</summary>
    /// <param name="cancellationToken">Stops waiting; no guard's operation is performed then (none with a token already cancelled, even a ready guard's).</param>
    /// <returns>What was chosen.</returns>
    public ValueTask<Choice> SelectAsync(CancellationToken cancellationToken = default) => SelectCoreAsync(Order.Arbitrary, cancellationToken);

    /// <summary>The async form of <see cref="PriSelect"/>.</summary>
    /// <param name="cancellationToken">Stops waiting; no guard's operation is performed then (none with a token already cancelled, even a ready guard's).</param>
    /// <returns>What was chosen.</returns>
    public ValueTask<Choice> PriSelectAsync(CancellationToken cancellationToken = default) => SelectCoreAsync(Order.Priority, cancellationToken);

    /// <summary>The async form of <see cref="FairSelect"/>.</summary>
    /// <param name="cancellationToken">Stops waiting; no guard's operation is performed then (none with a token already cancelled, even a ready guard's).</param>
    /// <returns>What was chosen.</returns>
    public ValueTask<Choice> FairSelectAsync(CancellationToken cancellationToken = default) => SelectCoreAsync(Order.Fair, cancellationToken);

    private Choice SelectCore(Order order, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ChannelEnd.NoteOtherBlockingOperation();
        if (Preferred(order, out TimeSpan limit) is { } preferred)
        {
            if (_guards[preferred].Channel!.Shared is not null)
            {
                AwaitReturningPeer(preferred, limit, cancellationToken);
            }
            else if (AwaitLocalPeer(preferred, limit, cancellationToken) is { } taken)
            {
                return taken;
            }
        }

        Pending pending = Begin(order, async: false);
        if (pending.Chosen is { } chosen)
        {
            return chosen;
        }

        pending.Selection!.Wait(pending.TimeoutMilliseconds, cancellationToken);
        return Finish(pending, cancellationToken)!;
    }

    private async ValueTask<Choice> SelectCoreAsync(Order order, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (order == Order.Fair && CspRunner.HoldsHere)
        {
            // The processes this one woke on this thread (writers whose values it took) offer again before it selects,
            // not after it parks, when a writer in another OS process may complete it first.
            await CspRunner.Yield();
        }

        if (Preferred(order, out TimeSpan limit) is { } preferred)
        {
            if (_guards[preferred].Channel!.Shared is not null)
            {
                await AwaitReturningPeerAsync(preferred, limit, cancellationToken).ConfigureAwait(false);
            }
            else if (await AwaitLocalPeerAsync(preferred, limit, cancellationToken).ConfigureAwait(false) is { } taken)
            {
                return taken;
            }
        }

        Pending pending = Begin(order, async: true);
        if (pending.Chosen is { } chosen)
        {
            return chosen;
        }

        await pending.Selection!.WaitAsync(pending.TimeoutMilliseconds, cancellationToken).ConfigureAwait(false);
        return Finish(pending, cancellationToken)!;
    }

    /// <summary>
    /// For a fair selection, the channel guard it prefers: when that guard's channel is in shared memory, the selection
    /// then waits a moment for a peer there that is on its way back (<see cref="SharedChannel.ReturningPeer"/>). In
    /// process, the runner runs a woken async peer before an async selecting process selects again; a peer that blocks
    /// its thread, or one another thread runs, is waited for as <see cref="LocalTurn"/> says. Not with a skip
    /// guard (the selection then only looks) or a time-out under a millisecond; with a longer time-out, for at most a
    /// quarter of it (<paramref name="limit"/>).
    /// </summary>
    private int? Preferred(Order order, out TimeSpan limit)
    {
        limit = TimeSpan.MaxValue;
        if (order != Order.Fair)
        {
            return null;
        }

        int preferred = -1;
        for (int k = 0; k < _guards.Length; k++)
        {
            int i = (_lastChosen + 1 + k) % _guards.Length;
            Guard guard = _guards[i];
            if (!guard.Enabled)
            {
                continue;
            }

            if (guard is SkipGuard || (guard is TimeoutGuard t && t.Duration < TimeSpan.FromMilliseconds(1)))
            {
                return null;
            }

            if (guard is TimeoutGuard timeout && timeout.Duration / 4 < limit)
            {
                limit = timeout.Duration / 4;
            }

            if (preferred < 0 && guard is not TimeoutGuard)
            {
                preferred = i;
            }
        }

        return preferred >= 0 ? preferred : null;
    }

    /// <summary>What a fair selection whose preferred guard is on a channel of this OS process does before it selects (<see cref="LocalTurn"/>).</summary>
    private enum LocalWait
    {
        /// <summary>Select now.</summary>
        None,

        /// <summary>Wait for that guard alone, parked (<see cref="AwaitSteadyPeer"/>).</summary>
        Alone,

        /// <summary>Wait while its peer is on its way back (<see cref="LocalPeerReturning"/>).</summary>
        Returning,

        /// <summary>Wait for that guard alone, parked, while its peer's process starts (<see cref="AwaitStartingPeer"/>).</summary>
        Starting,
    }

    /// <summary>
    /// For a fair selection whose preferred guard is on a channel of this OS process: whether to wait for that guard's
    /// peer (writers for an input guard, readers for an output guard) before selecting. The peer the guard met last may
    /// be a thread that blocks in <see cref="ChannelOut{T}.Write(T)"/> or <see cref="ChannelIn{T}.Read()"/>: woken, it
    /// then needs a core, and on a busy host (three such threads on two cores) the one sharing the selecting thread's
    /// core is back only once that thread gives the core up, while the other peer, on a core of its own, is always back
    /// first; or an async process whose continuation waits for another thread. A selection that chose whatever was
    /// ready then, or let whichever peer came first complete its parked offers, would choose the same peer at most
    /// turns. So a guard whose peer has been steady at its turns (<see cref="IsSteady"/>) is waited for
    /// <see cref="LocalWait.Alone"/>, when it is the channel's only end on that side, or when an end on that side loops
    /// on the channel (<see cref="CspChannel.HasLoopingEnd"/>: its thread's blocking reads or writes lately were all on
    /// it, so while it does not offer it is on its way back; two writers that write one channel for ever lost their
    /// turns to a single writer of the other guard without that). A peer that shares the side with others and goes
    /// elsewhere in between (the butler's sit-down channel, written by every philosopher, who then takes forks and
    /// stands) is not waited for alone: it may not come back soon, and waiting for the side would turn a choice
    /// between guards into taking turns. One that is not steady, or not alone on its side and not looping, but whose
    /// peer is on its way back (woken, not resumed:
    /// <see cref="Selection.IsOnItsWayBack"/>, or its continuation not yet taken by a thread:
    /// <see cref="Selection.IsDispatched"/>) is waited for until it offers again or has moved on
    /// (<see cref="LocalWait.Returning"/>), which is how a peer that lost its standing on a loaded host earns it back.
    /// A guard whose channel is ready counts as prompt; one not ready, not steady and not on its way loses a point (a
    /// writer that writes now and then is ready at one of its turns in thousands, and would otherwise be waited for
    /// again every few values); one whose channel never met a waiting peer is waited for only while a process given an
    /// end on the peer's side has made no channel operation yet (<see cref="LocalWait.Starting"/>).
    /// </summary>
    private LocalWait LocalTurn(int preferred)
    {
        Guard guard = _guards[preferred];
        CspChannel channel = guard.Channel!;
        bool ready = guard.Reads ? channel.MayBeReadable : channel.MayBeWritable;
        if (PeerOf(preferred) is not { } peer)
        {
            return !ready && channel.HasEndStarting(writers: guard.Reads) ? LocalWait.Starting : LocalWait.None;
        }

        if (ready)
        {
            CountLocalReturn(preferred, late: false);
            return LocalWait.None;
        }

        if (IsSteady(preferred) && (channel.HasOneEnd(writers: guard.Reads) || channel.HasLoopingEnd(writers: guard.Reads)))
        {
            return LocalWait.Alone;
        }

        if (peer.IsOnItsWayBack || peer.IsDispatched)
        {
            return LocalWait.Returning;
        }

        int[] returns = Returns();
        returns[preferred] = Math.Max(0, returns[preferred] - 1);
        return LocalWait.None;
    }

    /// <summary>
    /// One look of a wait for the preferred guard's peer in this OS process that is on its way back
    /// (<see cref="LocalWait.Returning"/>): until it offers again, or a moment after it has resumed without offering
    /// again (it computes, or waits elsewhere, before it does), or 20 ms (<see cref="SharedChannel.Advance"/>). Counted as
    /// across processes (<see cref="CountReturn"/>): back, one point; not back, none left.
    /// </summary>
    private ReturningPeerWait LocalPeerReturning(int preferred, ref ReturningPeerState wait)
    {
        Guard guard = _guards[preferred];
        CspChannel channel = guard.Channel!;
        if (guard.Reads ? channel.MayBeReadable : channel.MayBeWritable)
        {
            wait.CameBack = wait.Start != 0;
            return ReturningPeerWait.None;
        }

        if (PeerOf(preferred) is not { } peer)
        {
            return ReturningPeerWait.None;
        }

        return SharedChannel.Advance(ref wait, peer.IsOnItsWayBack || peer.IsDispatched);
    }

    /// <summary>A blocking fair selection whose preferred guard is on a channel of this OS process: waits for its peer as <see cref="LocalTurn"/> says.</summary>
    /// <returns>The preferred guard's choice when the wait performed it; <see langword="null"/> to select now.</returns>
    private Choice? AwaitLocalPeer(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        switch (LocalTurn(preferred))
        {
            case LocalWait.Alone:
                return AwaitSteadyPeer(preferred, limit, cancellationToken);
            case LocalWait.Starting:
                return AwaitStartingPeer(preferred, limit, cancellationToken);
            case LocalWait.None:
                return null;
        }

        var wait = new ReturningPeerState(limit, steady: false);
        bool released = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            switch (LocalPeerReturning(preferred, ref wait))
            {
                case ReturningPeerWait.Yield:
                    if (!released)
                    {
                        // What this thread's runner holds (an async process that selects blocking) may be that peer.
                        CspRunner.BeforeBlocking();
                        released = true;
                    }

                    Thread.Yield();
                    break;
                case ReturningPeerWait.Sleep:
                    Thread.Sleep(1);
                    break;
                default:
                    if (wait.Start != 0)
                    {
                        CountReturn(preferred, wait);
                    }

                    return null;
            }
        }

        return null;
    }

    /// <summary>The async form of <see cref="AwaitLocalPeer"/>: its sleeps free the thread (<see cref="SleepAMillisecondAsync"/>).</summary>
    private async ValueTask<Choice?> AwaitLocalPeerAsync(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        switch (LocalTurn(preferred))
        {
            case LocalWait.Alone:
                return await AwaitSteadyPeerAsync(preferred, limit, cancellationToken).ConfigureAwait(false);
            case LocalWait.Starting:
                return await AwaitStartingPeerAsync(preferred, limit, cancellationToken).ConfigureAwait(false);
            case LocalWait.None:
                return null;
        }

        var wait = new ReturningPeerState(limit, steady: false);
        while (!cancellationToken.IsCancellationRequested)
        {
            switch (LocalPeerReturning(preferred, ref wait))
            {
                case ReturningPeerWait.Yield:
                    Thread.Yield();
                    break;
                case ReturningPeerWait.Sleep:
                    await SleepAMillisecondAsync().ConfigureAwait(false);
                    break;
                default:
                    if (wait.Start != 0)
                    {
                        CountReturn(preferred, wait);
                    }

                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// Leaves an offer on the preferred guard's channel only, parks, and performs that guard if its peer offers within
    /// <see cref="SteadyPatience"/> (or a quarter of the selection's time-out): the selecting thread's core is free
    /// meanwhile, for a peer that shares it. A peer back later than <see cref="SteadyLate"/> (it computes, or waits
    /// elsewhere, between its communications; or the host preempted it, now and then) loses a little of its standing
    /// (five such turns more than prompt ones lose it); one not back at all loses it at once, unless it is still waking
    /// (then a point).
    /// </summary>
    /// <returns>The preferred guard's choice; <see langword="null"/> when its peer did not come back in time.</returns>
    private Choice? AwaitSteadyPeer(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        (Choice? chosen, long? back) = ParkOnGuard(preferred, limit < SteadyPatience ? limit : SteadyPatience, timeReturn: true, cancellationToken);
        CountSteadyWait(preferred, chosen is not null, start, back ?? start);
        return chosen;
    }

    /// <summary>The async form of <see cref="AwaitSteadyPeer"/>.</summary>
    private async ValueTask<Choice?> AwaitSteadyPeerAsync(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        (Choice? chosen, long? back) = await ParkOnGuardAsync(preferred, limit < SteadyPatience ? limit : SteadyPatience, timeReturn: true, cancellationToken).ConfigureAwait(false);
        CountSteadyWait(preferred, chosen is not null, start, back ?? start);
        return chosen;
    }

    /// <summary>
    /// Leaves an offer on the preferred guard's channel only and parks, a few milliseconds at a time, while a process
    /// of the network given an end on the peer's side has not used any of its ends yet
    /// (<see cref="CspChannel.HasEndStarting"/>), for at most <see cref="StartPatience"/> (or a quarter of the
    /// selection's time-out): on a loaded host a member's new thread waits tens of milliseconds for a core, in which a
    /// reader selecting from its first moment would make hundreds of selections with the writer already running. The
    /// wait ends once those processes have all started (a started one that does not use the end now is not waited
    /// for: it waits for something else, maybe for this selection's other guards). A wait in vain to the end (a
    /// process that computes or sleeps before its first channel operation) is that channel side's last
    /// (<see cref="CspChannel.StartWaitTimedOut"/>).
    /// </summary>
    /// <returns>The preferred guard's choice; <see langword="null"/> to select now.</returns>
    private Choice? AwaitStartingPeer(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        TimeSpan patience = limit < StartPatience ? limit : StartPatience;
        Guard guard = _guards[preferred];
        while (true)
        {
            Choice? chosen = ParkOnGuard(preferred, StartSliceLeft(start, patience), timeReturn: false, cancellationToken).Chosen;
            if (chosen is not null || StartWaitEnds(guard, start, patience))
            {
                return chosen;
            }
        }
    }

    /// <summary>The async form of <see cref="AwaitStartingPeer"/>.</summary>
    private async ValueTask<Choice?> AwaitStartingPeerAsync(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        TimeSpan patience = limit < StartPatience ? limit : StartPatience;
        Guard guard = _guards[preferred];
        while (true)
        {
            Choice? chosen = (await ParkOnGuardAsync(preferred, StartSliceLeft(start, patience), timeReturn: false, cancellationToken).ConfigureAwait(false)).Chosen;
            if (chosen is not null || StartWaitEnds(guard, start, patience))
            {
                return chosen;
            }
        }
    }

    /// <summary>The next slice of <see cref="AwaitStartingPeer"/>: <see cref="StartSlice"/>, or what is left of the patience (a millisecond at least).</summary>
    private static TimeSpan StartSliceLeft(long start, TimeSpan patience)
    {
        TimeSpan left = patience - Stopwatch.GetElapsedTime(start);
        return left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left < StartSlice ? left : StartSlice;
    }

    /// <summary>
    /// Leaves an offer on guard <paramref name="preferred"/>'s channel only and parks for at most
    /// <paramref name="timeout"/>, performing that guard if its peer offers meanwhile (or is ready now).
    /// </summary>
    /// <returns>
    /// The choice (<see langword="null"/>: timed out), and, when it parked, when the peer signaled it
    /// (<see cref="Selection.SignaledAt"/>, if <paramref name="timeReturn"/>).
    /// </returns>
    private (Choice? Chosen, long? SignaledAt) ParkOnGuard(int preferred, TimeSpan timeout, bool timeReturn, CancellationToken cancellationToken)
    {
        Pending pending = Begin([preferred], -1, timeout, async: false, timeReturn);
        if (pending.Chosen is { } chosen)
        {
            return (chosen, null);
        }

        pending.Selection!.Wait(pending.TimeoutMilliseconds, cancellationToken);
        long signaled = pending.Selection.SignaledAt; // read before Finish gives the selection back
        return (Finish(pending, cancellationToken), signaled);
    }

    /// <summary>The async form of <see cref="ParkOnGuard"/>.</summary>
    private async ValueTask<(Choice? Chosen, long? SignaledAt)> ParkOnGuardAsync(int preferred, TimeSpan timeout, bool timeReturn, CancellationToken cancellationToken)
    {
        Pending pending = Begin([preferred], -1, timeout, async: true, timeReturn);
        if (pending.Chosen is { } chosen)
        {
            return (chosen, null);
        }

        await pending.Selection!.WaitAsync(pending.TimeoutMilliseconds, cancellationToken).ConfigureAwait(false);
        long signaled = pending.Selection.SignaledAt;
        return (Finish(pending, cancellationToken), signaled);
    }

    /// <summary>After a slice of <see cref="AwaitStartingPeer"/> with no peer: whether the wait ends (the peers' processes started, or the patience ran out: then the side is not waited for again).</summary>
    private bool StartWaitEnds(Guard guard, long start, TimeSpan patience)
    {
        if (!guard.Channel!.HasEndStarting(writers: guard.Reads))
        {
            return true;
        }

        if (Stopwatch.GetElapsedTime(start) < patience)
        {
            return false;
        }

        StartWaitsTimedOut++;
        guard.Channel!.StartWaitTimedOut(writers: guard.Reads);
        return true;
    }

    /// <summary>
    /// Counts a wait for guard <paramref name="index"/>'s steady peer that began at <paramref name="start"/>: back
    /// (<paramref name="came"/>) when it signaled the selection (<paramref name="back"/>; 0: now), not when the
    /// selecting thread resumed (on a loaded host that thread, too, waits for a core). Late only if it took longer than
    /// <see cref="SteadyLate"/> after it had resumed itself (a blocking peer's wake-up, a loaded host's doing, is not
    /// held against it: <see cref="Selection.ResumedAt"/>); not back and still waking at the end, one point only.
    /// </summary>
    private void CountSteadyWait(int index, bool came, long start, long back)
    {
        Selection? peer = PeerOf(index);
        if (!came)
        {
            SteadyWaitsTimedOut++;
            int[] returns = Returns();
            returns[index] = peer is not null && (peer.IsOnItsWayBack || peer.IsDispatched) ? Math.Max(0, returns[index] - 1) : 0;
            return;
        }

        long from = peer is null ? start : Math.Max(start, peer.ResumedAt);
        long to = back == 0 ? Stopwatch.GetTimestamp() : back;
        CountLocalReturn(index, late: to - from > SteadyLateTicks);
    }

    /// <summary>The selection of the peer guard <paramref name="index"/>'s channel (in this OS process) met last: its writer's for an input guard, its reader's for an output guard.</summary>
    private Selection? PeerOf(int index)
    {
        Guard guard = _guards[index];
        CspChannel channel = guard.Channel!;
        return Volatile.Read(ref guard.Reads ? ref channel.ReturningWriter : ref channel.ReturningReader);
    }

    /// <summary>
    /// Counts a return of a guard's peer in this OS process (ready at its turn, or back in a wait): prompt, one point
    /// more, up to twice <see cref="SteadyReturns"/>; late, one less (as <see cref="CountReturn"/> does across processes,
    /// but a thread woken on a loaded host is late now and then without computing).
    /// </summary>
    private void CountLocalReturn(int index, bool late)
    {
        int[] returns = Returns();
        returns[index] = late ? Math.Max(0, returns[index] - 1) : Math.Min(returns[index] + 1, 2 * SteadyReturns);
    }

    private void AwaitReturningPeer(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        Guard guard = _guards[preferred];
        SharedChannel shared = guard.Channel!.Shared!;
        var wait = new ReturningPeerState(limit, IsSteady(preferred));
        while (!cancellationToken.IsCancellationRequested)
        {
            switch (shared.ReturningPeer(guard.Reads, ref wait))
            {
                case ReturningPeerWait.Yield:
                    Thread.Yield();
                    break;
                case ReturningPeerWait.Sleep:
                    // What this thread's runner holds (an async process that selects blocking) must not wait behind the sleep.
                    CspRunner.BeforeBlocking();
                    Thread.Sleep(1);
                    break;
                default:
                    CountReturn(preferred, wait);
                    return;
            }
        }
    }

    private async ValueTask AwaitReturningPeerAsync(int preferred, TimeSpan limit, CancellationToken cancellationToken)
    {
        Guard guard = _guards[preferred];
        SharedChannel shared = guard.Channel!.Shared!;
        var wait = new ReturningPeerState(limit, IsSteady(preferred));
        while (!cancellationToken.IsCancellationRequested)
        {
            switch (shared.ReturningPeer(guard.Reads, ref wait))
            {
                case ReturningPeerWait.Yield:
                    Thread.Yield();
                    break;
                case ReturningPeerWait.Sleep:
                    // Off this thread: a runner's other processes go on meanwhile.
                    await SleepAMillisecondAsync().ConfigureAwait(false);
                    break;
                default:
                    CountReturn(preferred, wait);
                    return;
            }
        }
    }

    /// <summary>
    /// A millisecond off this thread that ends inside a runner, not on a bare thread-pool thread as <c>Task.Delay</c>'s
    /// would: a selection's timer dispatches the continuation as an orphan. The processes this one wakes afterwards
    /// are then held by that runner and run when this one parks or yields, in the order they were woken (a writer in
    /// this OS process is back before the selection after next, as in a network that stays in one OS process).
    /// </summary>
    private static async ValueTask SleepAMillisecondAsync()
    {
        Selection sleep = Selection.Rent(async: true);
        try
        {
            await sleep.WaitAsync(1, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            sleep.Disarm();
        }
    }

    /// <summary>Whether guard <paramref name="index"/>'s peer came back promptly at its last turns (see <see cref="CountReturn"/>).</summary>
    private bool IsSteady(int index) => Returns()[index] >= SteadyReturns;

    /// <summary>
    /// Each guard's standing (see <see cref="CountReturn"/>): a guard on a channel of this OS process starts as steady
    /// as it gets (its peers are threads and tasks of this process, waited for only once one of them met the guard's
    /// channel waiting; one that is not back loses the standing at the first wait, after
    /// <see cref="SteadyPatience"/>); one on a channel in shared memory earns it.
    /// </summary>
    private int[] Returns()
    {
        if (_returns is null)
        {
            var returns = new int[_guards.Length];
            for (int i = 0; i < returns.Length; i++)
            {
                returns[i] = _guards[i].Channel is { Shared: null } ? 2 * SteadyReturns : 0;
            }

            _returns = returns;
        }

        return _returns;
    }

    /// <summary>
    /// Keeps count of how guard <paramref name="index"/>'s peer came back at this turn: promptly (ready when looked at,
    /// or back while waited for, within 5 ms of seeing its hand-over) counts one up, to twice
    /// <see cref="SteadyReturns"/>; late (it computes now, or a loaded host kept it off the cores) or not back and not
    /// waited for (it had seen its hand-over and not offered again: it computes, or was preempted) one down, so a peer
    /// that stays away stops being waited for within five turns while one preempted now and then keeps its standing;
    /// not back within a whole wait (<see cref="ReturningPeerState.TimedOut"/>: stopped, or gone) resets it.
    /// </summary>
    private void CountReturn(int index, ReturningPeerState wait)
    {
        int[] returns = Returns();
        returns[index] = wait.CameBack && !wait.Late ? Math.Min(returns[index] + 1, 2 * SteadyReturns)
            : wait.TimedOut ? 0
            : Math.Max(0, returns[index] - 1);
    }

    /// <summary>
    /// Performs a ready guard now, or leaves offers on every channel. It holds the lock of every channel (in id
    /// order), which also keeps them from moving to shared memory meanwhile, and the lock of their arena when some
    /// are in shared memory: then the selection claims through a slot there, which readers and writers in other
    /// OS processes can claim.
    /// </summary>
    private Pending Begin(Order order, bool async)
    {
        int[] sequence = Sequence(order, out int timeoutIndex, out TimeSpan timeout);
        return Begin(sequence, timeoutIndex, timeout, async);
    }

    /// <summary>
    /// <see cref="Begin(Order, bool)"/> over the guards of <paramref name="sequence"/>, in that order: a wait left
    /// ends after <paramref name="timeout"/> (<see cref="TimeSpan.MaxValue"/>: never), choosing guard
    /// <paramref name="timeoutIndex"/> then, or nothing if that is negative (<see cref="Finish"/> returns
    /// <see langword="null"/>); <paramref name="timeReturn"/>: the selection notes when its peer signals it
    /// (<see cref="Selection.SignaledAt"/>).
    /// </summary>
    private Pending Begin(int[] sequence, int timeoutIndex, TimeSpan timeout, bool async, bool timeReturn = false)
    {
        var channels = new List<CspChannel>(sequence.Length);
        foreach (int i in sequence)
        {
            try
            {
                _guards[i].ThrowIfEndRetired();
            }
            catch (ChannelRetiredException e)
            {
                e.Guard = _guards[i];
                throw;
            }

            if (_guards[i].Channel is { } channel && !channels.Contains(channel))
            {
                channels.Add(channel);
            }
        }

        channels.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        foreach (CspChannel channel in channels)
        {
            channel.Gate.Enter();
        }

        CspArena? arena = null;
        bool arenaLocked = false;
        try
        {
            foreach (CspChannel channel in channels)
            {
                if (channel.Shared is { } shared)
                {
                    if (arena is not null && arena != shared.Arena)
                    {
                        throw new InvalidOperationException(
                            $"This alternation chooses between channels in the shared memory of two different OS processes ('{channel.Name}' is one of them): an alternation can choose between channels created in one OS process only.");
                    }

                    arena = shared.Arena;
                }
            }

            if (arena is not null)
            {
                arena.Enter();
                arenaLocked = true;
            }

            foreach (int i in sequence)
            {
                Guard guard = _guards[i];
                if (guard is SkipGuard)
                {
                    return new Pending(Chose(i, null));
                }

                int outcome = guard.TryLocked(out object? value);
                if (outcome == 0)
                {
                    return new Pending(Chose(i, value));
                }

                if (outcome != Selection.Waiting)
                {
                    throw OfGuard(guard.Channel!.Failure(outcome), guard);
                }
            }

            var selection = Selection.Rent(async);
            if (timeReturn)
            {
                selection.TimeSignal();
            }

            if (arena is not null)
            {
                selection.AttachSlot(arena, arena.AllocateSlotLocked());
            }

            var offers = new Offer?[_guards.Length];
            try
            {
                foreach (int i in sequence)
                {
                    offers[i] = _guards[i].Register(selection, i);
                }
            }
            catch
            {
                // A value that does not fit, a full arena: no offer left so far may stay. Nobody could match one yet (every
                // lock is held here); claimed first, none can be matched ever.
                selection.TryClaim(Selection.Cancelled);
                foreach (Offer? offer in offers)
                {
                    offer?.WithdrawLocked();
                }

                if (arena is not null)
                {
                    arena.FreeSlotLocked(selection.Slot);
                }

                selection.Return();
                throw;
            }

            return new Pending(selection, offers, timeoutIndex, timeout == TimeSpan.MaxValue ? -1 : (int)Math.Min(int.MaxValue - 1, Math.Ceiling(timeout.TotalMilliseconds)));
        }
        finally
        {
            if (arenaLocked)
            {
                arena!.Unlock();
            }

            for (int i = channels.Count - 1; i >= 0; i--)
            {
                channels[i].Gate.Exit();
            }
        }
    }

    /// <summary>Ends a selection that waited: the guard chosen, or <see langword="null"/> when its time-out ended it and it has no time-out guard (a fair selection's wait for one guard).</summary>
    private Choice? Finish(Pending pending, CancellationToken cancellationToken)
    {
        Selection selection = pending.Selection!;
        selection.Disarm();
        foreach (Offer? offer in pending.Offers!)
        {
            offer?.Withdraw();
        }

        int outcome = selection.Outcome;
        int failedGuard = selection.FailedGuard;
        string? failedChannel = selection.FailedChannel ?? (failedGuard >= 0 ? _guards[failedGuard].Channel?.Name : null);
        if (selection.Arena is { } arena)
        {
            using (arena.Lock())
            {
                arena.FreeSlotLocked(selection.Slot);
            }
        }

        selection.Return();
        if (outcome >= 0 && pending.Offers![outcome] is { LostValue: true })
        {
            throw new ChannelPoisonedException($"The channel '{_guards[outcome].Channel?.Name}' is poisoned: the process at its other end died while the value chosen was handed over.") { Guard = _guards[outcome] };
        }

        if (outcome >= 0)
        {
            return Chose(outcome, _guards[outcome].Taken(pending.Offers![outcome]!));
        }

        return outcome switch
        {
            Selection.TimedOut => pending.TimeoutIndex >= 0 ? Chose(pending.TimeoutIndex, null) : null,
            Selection.Cancelled => throw new OperationCanceledException(cancellationToken),
            Selection.Retired => throw new ChannelRetiredException($"The channel '{failedChannel}' is retired: every end on its other side has retired.") { Guard = failedGuard >= 0 ? _guards[failedGuard] : null },
            _ => throw new ChannelPoisonedException($"The channel '{failedChannel}' is poisoned.") { Guard = failedGuard >= 0 ? _guards[failedGuard] : null },
        };
    }

    /// <summary>Notes on a poisoned or retired channel's exception which guard of this alternation it was (<see cref="ChannelRetiredException.Guard"/>).</summary>
    private static Exception OfGuard(Exception failure, Guard guard)
    {
        switch (failure)
        {
            case ChannelRetiredException retired:
                retired.Guard = guard;
                break;
            case ChannelPoisonedException poisoned:
                poisoned.Guard = guard;
                break;
        }

        return failure;
    }

    private Choice Chose(int index, object? value)
    {
        _lastChosen = index;
        return new Choice(_guards[index], index, value);
    }

    /// <summary>The enabled guards in the order this selection tries them; skip guards last unless by priority.</summary>
    private int[] Sequence(Order order, out int timeoutIndex, out TimeSpan timeout)
    {
        int n = _guards.Length;
        int start = order switch
        {
            Order.Fair => (_lastChosen + 1) % n,
            Order.Arbitrary => Random.Shared.Next(n),
            _ => 0,
        };
        var sequence = new List<int>(n);
        var skips = new List<int>(1);
        timeoutIndex = -1;
        timeout = TimeSpan.MaxValue;
        for (int k = 0; k < n; k++)
        {
            int i = (start + k) % n;
            Guard guard = _guards[i];
            if (!guard.Enabled)
            {
                continue;
            }

            if (guard is TimeoutGuard t)
            {
                if (t.Duration < timeout || (t.Duration == timeout && i < timeoutIndex))
                {
                    timeout = t.Duration;
                    timeoutIndex = i;
                }
            }
            else if (guard is SkipGuard && order != Order.Priority)
            {
                skips.Add(i);
            }
            else
            {
                sequence.Add(i);
            }
        }

        if (order == Order.Priority)
        {
            sequence.Sort();
        }

        sequence.AddRange(skips);
        if (sequence.Count == 0 && timeoutIndex < 0)
        {
            throw new InvalidOperationException(
                "Every guard of this alternation is disabled: a selection would wait for ever. Enable a guard, or add an enabled Guard.Timeout.");
        }

        return [.. sequence];
    }

    /// <summary>A selection in progress: chosen at once, or waiting on offers.</summary>
    private readonly struct Pending
    {
        public Pending(Choice chosen)
        {
            Chosen = chosen;
            TimeoutIndex = -1;
            TimeoutMilliseconds = -1;
        }

        public Pending(Selection selection, Offer?[] offers, int timeoutIndex, int timeoutMilliseconds)
        {
            Selection = selection;
            Offers = offers;
            TimeoutIndex = timeoutIndex;
            TimeoutMilliseconds = timeoutMilliseconds;
        }

        public Choice? Chosen { get; }

        public Selection? Selection { get; }

        public Offer?[]? Offers { get; }

        public int TimeoutIndex { get; }

        public int TimeoutMilliseconds { get; }
    }
}
