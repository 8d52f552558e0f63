using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using static ParallelKit.CspRuntime.CspArenaLayout;
using static ParallelKit.CspRuntime.CspArenaLayout.ChannelLayout;

namespace ParallelKit.CspRuntime;

/// <summary>
/// A channel whose state lives in a <see cref="CspArena"/>, so that every OS process holding one of its ends
/// reads, writes, selects, poisons and retires on it directly: the same rules as an in-process channel (a
/// rendezvous hands a value to a reader whose selection it has just claimed, a buffered write waits only when
/// the buffer is full), on values as MemoryPack bytes. Every method whose name ends in <c>Locked</c> is called
/// holding the arena's lock.
/// </summary>
internal sealed unsafe class SharedChannel(CspArena arena, int record, int generation, string name)
{
    private const int NoList = 0;
    private const int ReaderList = 1;
    private const int WriterList = 2;

    /// <summary>The list of a writer's offer in another OS process whose value a reader took, until its writer withdraws it (see <see cref="ChannelLayout.TakenInFlightAt"/>).</summary>
    internal const int TakenWriteList = 3;

    /// <summary>The list of a reader's offer in another OS process that a writer gave a value, until its reader withdraws it (see <see cref="ChannelLayout.GivenInFlightAt"/>).</summary>
    internal const int GivenReadList = 4;

    /// <summary>How long a fair selection waits at most for a writer on its way back (<see cref="ReturningPeer"/>).</summary>
    private static readonly long Patience = Stopwatch.Frequency / 50;

    /// <summary>How long such a wait yields before it sleeps (a peer that wakes at once is back within microseconds).</summary>
    private static readonly long SpinTime = Stopwatch.Frequency / 20_000;

    /// <summary>
    /// A channel's first hand-overs across processes, after each of which a fair selection waits for the peer as for a
    /// steady one (see <see cref="ReturningPeer"/>): a peer that computes between its values costs the reader at most
    /// this many waits of <see cref="Patience"/>, once.
    /// </summary>
    internal const int YoungHandOvers = 16;

    /// <summary>How long after its peer withdrew its offer a fair selection still waits for it to offer again.</summary>
    private static readonly long Grace = Stopwatch.Frequency / 50_000;

    /// <summary>How long after it saw its hand-over a steady peer may take to offer again before it counts as late (<see cref="ReturningPeerState.Late"/>).</summary>
    private static readonly long LateAfterSeen = Stopwatch.Frequency / 200;

    /// <summary>The arena holding the channel.</summary>
    public CspArena Arena { get; } = arena;

    /// <summary>The channel's record in the arena.</summary>
    public int Record { get; } = record;

    /// <summary>The generation of <see cref="Record"/> this channel is.</summary>
    public int Generation { get; } = generation;

    /// <summary>The channel's name, for messages.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// Poison and retire, as the last lock holder left them; a channel whose record was reused (it had ended) reads as
    /// retired on both sides.
    /// </summary>
    public ChannelState State => IsStale
        ? ChannelState.ReadersRetired | ChannelState.WritersRetired
        : (ChannelState)Volatile.Read(ref *Field(StateAt));

    /// <summary>Writes a reader took from other OS processes whose writers have not withdrawn their offers yet (see <see cref="ChannelLayout.TakenInFlightAt"/>); for tests and diagnostics.</summary>
    internal int TakenWritesInFlight => Volatile.Read(ref *Field(TakenInFlightAt));

    /// <summary>Writes a reader took from waiting writers in other OS processes, ever; for tests and diagnostics.</summary>
    internal int TakenWrites => Volatile.Read(ref *Field(TakenEverAt));

    /// <summary>Values a writer gave to waiting readers in other OS processes, ever; for tests and diagnostics.</summary>
    internal int GivenReads => Volatile.Read(ref *Field(GivenEverAt));

    /// <summary>Of those, the ones whose readers have not withdrawn their offers yet; for tests and diagnostics.</summary>
    internal int GivenReadsInFlight => Volatile.Read(ref *Field(GivenInFlightAt));

    /// <summary>Whether the record now holds another channel (this one had ended, see <see cref="CspArena.AllocateChannelLocked"/>).</summary>
    private bool IsStale => Volatile.Read(ref *Arena.ChannelField(Record, GenerationAt)) != Generation;

    /// <summary>
    /// Takes a value if one is ready: from the buffer (then refilling it from a waiting writer), or from a waiting
    /// writer directly; the value's cells become the caller's. Outcomes as <see cref="CspChannel{T}.TryReadLocked"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int TryReadLocked(out int value)
    {
        ChannelState state = State;
        value = 0;
        if (IsStale)
        {
            return Selection.Retired;
        }

        if ((state & ChannelState.PoisonedByReader) != 0)
        {
            return Selection.Poisoned;
        }

        if (*Field(CountAt) > 0)
        {
            value = Dequeue();
            while (PopOffer(WritersHeadAt) is var offer && offer != 0)
            {
                if (Claim(offer))
                {
                    Enqueue(TakeWrite(offer));
                    Arena.Signal(*Arena.OfferField(offer, OfferSlotAt));
                    break;
                }
            }

            return 0;
        }

        if ((state & ChannelState.PoisonedByWriter) != 0)
        {
            return Selection.Poisoned;
        }

        while (PopOffer(WritersHeadAt) is var offer && offer != 0)
        {
            if (Claim(offer))
            {
                value = TakeWrite(offer);
                Arena.Signal(*Arena.OfferField(offer, OfferSlotAt));
                return 0;
            }
        }

        return (state & ChannelState.WritersRetired) != 0 ? Selection.Retired : Selection.Waiting;
    }

    /// <summary>Gives the value in cells <paramref name="value"/> to a waiting reader or the buffer (the cells are then theirs); outcomes as <see cref="TryReadLocked"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int TryWriteLocked(int value)
    {
        ChannelState state = State;
        if (IsStale)
        {
            return Selection.Retired;
        }

        if ((state & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter)) != 0)
        {
            return Selection.Poisoned;
        }

        if ((state & ChannelState.ReadersRetired) != 0)
        {
            return Selection.Retired;
        }

        while (PopOffer(ReadersHeadAt) is var offer && offer != 0)
        {
            if (Claim(offer))
            {
                GiveRead(offer, value);
                Arena.Signal(*Arena.OfferField(offer, OfferSlotAt));
                return 0;
            }
        }

        if (*Field(CountAt) < *Field(CapacityAt))
        {
            Enqueue(value);
            return 0;
        }

        return Selection.Waiting;
    }

    /// <summary>Leaves a waiting read (or a write of the value in cells <paramref name="value"/>) for slot <paramref name="slot"/>'s selection.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int OfferLocked(int slot, int guard, bool reader, int value)
    {
        int offer = Arena.AllocateOfferLocked();
        int* o = Arena.OfferField(offer, 0);
        o[OfferChannelAt / 4] = Record;
        o[OfferSlotAt / 4] = slot;
        o[OfferGuardAt / 4] = guard;
        o[OfferValueAt / 4] = value;
        int headAt = reader ? ReadersHeadAt : WritersHeadAt;
        o[OfferListAt / 4] = reader ? ReaderList : WriterList;
        int tail = *Field(headAt + 4);
        o[OfferPreviousAt / 4] = tail;
        if (tail == 0)
        {
            *Field(headAt) = offer;
        }
        else
        {
            *Arena.OfferField(tail, OfferNextAt) = offer;
        }

        *Field(headAt + 4) = offer;
        return offer;
    }

    /// <summary>
    /// Removes an offer (if still queued) and frees it; returns the value it holds: for a read that was matched, the
    /// value given (the caller takes it); for a write not taken, its own value (the caller frees it); else 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int WithdrawLocked(int offer)
    {
        UnlinkQueuedLocked(Arena, offer);
        int value = *Arena.OfferField(offer, OfferValueAt);
        Arena.FreeOfferLocked(offer);
        return value;
    }

    /// <summary>
    /// For a fair selection whose preferred guard reads this channel (<paramref name="reads"/>) or writes it, and finds
    /// it not ready: whether to wait (yield or sleep, then ask again) for a peer in another OS process that is on its
    /// way back — a writer whose value a reader took, or a reader a writer gave a value, that has not seen it yet. Its
    /// process is still waking, and would otherwise offer again later than a selection made again at once, which would
    /// choose another guard each time. The wait ends when the guard is ready (or the channel ended), a moment after
    /// the peer has seen it without offering again (a peer that computes between its communications is not waited
    /// for), or after <see cref="Patience"/> (a peer stopped, or dead and not yet reaped: each selection that prefers
    /// it waits that long while it stays so). A <see cref="ReturningPeerState.Steady"/> peer (one that came back
    /// promptly at its last turns, across processes) is waited for after it has seen its hand-over too, up to the
    /// patience: on a busy host it is off every core between seeing it and offering again, which the moment after
    /// would take for computing (past <see cref="LateAfterSeen"/>, the selection marks it
    /// <see cref="ReturningPeerState.Late"/>). Lock-free: what it reads are hints; the selection decides under the lock.
    /// </summary>
    public ReturningPeerWait ReturningPeer(bool reads, ref ReturningPeerState wait)
    {
        ChannelState ended = reads
            ? ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter | ChannelState.WritersRetired
            : ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter | ChannelState.ReadersRetired;
        bool ready = reads
            ? Volatile.Read(ref *Field(CountAt)) != 0 || Volatile.Read(ref *Field(WritersHeadAt)) != 0
            : Volatile.Read(ref *Field(ReadersHeadAt)) != 0 || Volatile.Read(ref *Field(CountAt)) < Volatile.Read(ref *Field(CapacityAt));
        if (IsStale || (State & ended) != 0)
        {
            return ReturningPeerWait.None;
        }

        if (ready)
        {
            wait.CameBack = true;
            return ReturningPeerWait.None;
        }

        bool inFlight = Volatile.Read(ref *Field(reads ? TakenInFlightAt : GivenInFlightAt)) > 0;
        if (wait.Start == 0)
        {
            // A peer that has seen its hand-over and not offered again: waited for only if it is a steady one whose
            // hand-overs cross processes (it computes nothing between its communications; it is off every core), or
            // while the channel's hand-overs across processes are young (the peer's process is still compiling the
            // code that runs after one: its first returns take milliseconds, in which a reader that also takes from
            // a writer of its own process makes hundreds of selections).
            int ever = Volatile.Read(ref *Field(reads ? TakenEverAt : GivenEverAt));
            wait.Steady = ever > 0 && (wait.Steady || ever <= YoungHandOvers);
        }

        return Advance(ref wait, inFlight);
    }

    /// <summary>
    /// One look of a wait for a peer on its way back that is not ready yet (see <see cref="ReturningPeer"/>; an
    /// in-process writer's too, see <see cref="Alternation"/>): <paramref name="onItsWay"/> while it has not yet seen
    /// its hand-over. Not begun for a peer that has seen it unless it is steady; ended after <see cref="Patience"/>
    /// (<see cref="ReturningPeerState.TimedOut"/>), or <see cref="Grace"/> after it saw its hand-over without offering
    /// again (a steady peer is waited for up to the patience, and marked late <see cref="LateAfterSeen"/> after it saw
    /// it); yields first, then sleeps.
    /// </summary>
    internal static ReturningPeerWait Advance(ref ReturningPeerState wait, bool onItsWay)
    {
        long now = Stopwatch.GetTimestamp();
        if (wait.Start == 0)
        {
            if (!onItsWay && !wait.Steady)
            {
                return ReturningPeerWait.None;
            }

            wait.Start = now;
        }
        else if (now - wait.Start > Math.Min(Patience, wait.Limit))
        {
            wait.TimedOut = true;
            return ReturningPeerWait.None;
        }

        if (onItsWay)
        {
            wait.Back = 0;
        }
        else if (wait.Back == 0)
        {
            wait.Back = now;
        }
        else if (now - wait.Back > Grace)
        {
            if (!wait.Steady)
            {
                return ReturningPeerWait.None;
            }

            // Preempted between seeing its hand-over and offering again now and then, on a loaded host, for a few
            // milliseconds: late only past that.
            wait.Late = now - wait.Back > LateAfterSeen;
        }

        return now - wait.Start < SpinTime ? ReturningPeerWait.Yield : ReturningPeerWait.Sleep;
    }

    /// <summary>Counts one more end on one side.</summary>
    public void AddEndLocked(bool writer)
    {
        if (!IsStale)
        {
            (*Field(writer ? LiveWritersAt : LiveReadersAt))++;
        }
    }

    /// <summary>
    /// Poisons the channel and fails every waiting offer; a reader's poison drops what is buffered, also after a
    /// writer's (which left it for the readers to drain): nothing would free it otherwise (a failed network's ends are
    /// poisoned from both sides).
    /// </summary>
    public void PoisonLocked(bool byWriter)
    {
        ChannelState state = State;
        if (IsStale || (state & ChannelState.PoisonedByReader) != 0 || (byWriter && (state & ChannelState.PoisonedByWriter) != 0))
        {
            return;
        }

        Volatile.Write(ref *Field(StateAt), (int)(state | (byWriter ? ChannelState.PoisonedByWriter : ChannelState.PoisonedByReader)));
        if (!byWriter)
        {
            ClearBuffer();
        }

        FailAll(ReadersHeadAt, Selection.Poisoned);
        FailAll(WritersHeadAt, Selection.Poisoned);
    }

    /// <summary>Retires one end of the given side; the last one of a side retires that side.</summary>
    public void RetireEndLocked(bool writer)
    {
        if (IsStale)
        {
            return;
        }

        int* live = Field(writer ? LiveWritersAt : LiveReadersAt);
        if (--*live != 0)
        {
            return;
        }

        if (writer)
        {
            Volatile.Write(ref *Field(StateAt), (int)(State | ChannelState.WritersRetired));

            // Readers wait only on an empty buffer: nothing more will come.
            FailAll(ReadersHeadAt, Selection.Retired);
        }
        else
        {
            Volatile.Write(ref *Field(StateAt), (int)(State | ChannelState.ReadersRetired));
            ClearBuffer();
            FailAll(WritersHeadAt, Selection.Retired);
        }
    }

    /// <summary>Appends a value's cells to the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Enqueue(int value)
    {
        *Arena.NextValue(value) = 0;
        int tail = *Field(BufferTailAt);
        if (tail == 0)
        {
            *Field(BufferHeadAt) = value;
        }
        else
        {
            *Arena.NextValue(tail) = value;
        }

        *Field(BufferTailAt) = value;
        (*Field(CountAt))++;
    }

    private int* Field(int at) => Arena.ChannelField(Record, at);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Dequeue()
    {
        int value = *Field(BufferHeadAt);
        int next = *Arena.NextValue(value);
        *Field(BufferHeadAt) = next;
        if (next == 0)
        {
            *Field(BufferTailAt) = 0;
        }

        (*Field(CountAt))--;
        return value;
    }

    private void ClearBuffer()
    {
        while (*Field(CountAt) > 0)
        {
            Arena.FreeValueLocked(Dequeue());
        }
    }

    /// <summary>
    /// Claims a popped offer for its guard; false when someone claimed it first, or when its owner is known dead (its
    /// process was reaped: see <see cref="CspArena.ReclaimDeadProcess"/>), so that no value is handed to a process that
    /// will never take it. Such an offer stays allocated for the reclaim.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Claim(int offer)
    {
        int slot = *Arena.OfferField(offer, OfferSlotAt);
        return !Arena.IsOwnerDead(slot) && Arena.TryClaim(slot, *Arena.OfferField(offer, OfferGuardAt));
    }

    /// <summary>
    /// Takes the value of a waiting writer's offer, popped and claimed. When the writer is in another OS process, the
    /// offer counts as a taken write in flight until its writer withdraws it (it has then seen that its value was
    /// taken); a writer in this process runs again before its reader selects again (the runner's FIFO) anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TakeWrite(int offer)
    {
        int* o = Arena.OfferField(offer, 0);
        int taken = o[OfferValueAt / 4];
        o[OfferValueAt / 4] = 0;
        CountHandOver(o, TakenWriteList);
        return taken;
    }

    /// <summary>
    /// Gives the value in cells <paramref name="value"/> to a waiting reader's offer, popped and claimed; as
    /// <see cref="TakeWrite"/>, a reader in another OS process counts as on its way back until it withdraws the offer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void GiveRead(int offer, int value)
    {
        int* o = Arena.OfferField(offer, 0);
        o[OfferValueAt / 4] = value;
        CountHandOver(o, GivenReadList);
    }

    /// <summary>
    /// A popped, claimed offer (words <paramref name="o"/>) whose owner is in another OS process joins
    /// <paramref name="list"/> (<see cref="TakenWriteList"/> or <see cref="GivenReadList"/>) and is counted in flight
    /// until its owner withdraws it.
    /// </summary>
    private void CountHandOver(int* o, int list)
    {
        if (Arena.IsOwnedElsewhere(o[OfferSlotAt / 4]))
        {
            o[OfferListAt / 4] = list;
            Bump(Field(InFlightAt(list)), 1);
            Bump(Field(list == TakenWriteList ? TakenEverAt : GivenEverAt), 1);
        }
    }

    /// <summary>The channel word that counts the hand-overs in flight of <paramref name="list"/> (<see cref="TakenWriteList"/> or <see cref="GivenReadList"/>).</summary>
    internal static int InFlightAt(int list) => list == TakenWriteList ? TakenInFlightAt : GivenInFlightAt;

    /// <summary>Unlinks and returns the first offer of a list (0 when empty); it stays allocated for its waiter to withdraw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int PopOffer(int headAt)
    {
        int offer = *Field(headAt);
        if (offer != 0)
        {
            Unlink(offer, headAt);
        }

        return offer;
    }

    private void Unlink(int offer, int headAt) => Unlink(Arena, Record, offer, headAt);

    /// <summary>Moves a counter the lock guards and fair selections read without it.</summary>
    private static void Bump(int* counter, int by) => Volatile.Write(ref *counter, *counter + by);

    /// <summary>
    /// Removes an offer from the queue it is in (if any) on its channel, or from the channel's count of taken writes in
    /// flight; the offer stays allocated. The caller holds the lock.
    /// </summary>
    internal static void UnlinkQueuedLocked(CspArena arena, int offer)
    {
        int* o = arena.OfferField(offer, 0);
        int list = o[OfferListAt / 4];
        if (list is TakenWriteList or GivenReadList)
        {
            o[OfferListAt / 4] = NoList;
            Bump(arena.ChannelField(o[OfferChannelAt / 4], InFlightAt(list)), -1);
        }
        else if (list != NoList)
        {
            Unlink(arena, o[OfferChannelAt / 4], offer, list == ReaderList ? ReadersHeadAt : WritersHeadAt);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unlink(CspArena arena, int record, int offer, int headAt)
    {
        int* o = arena.OfferField(offer, 0);
        int next = o[OfferNextAt / 4];
        int previous = o[OfferPreviousAt / 4];
        if (previous == 0)
        {
            *arena.ChannelField(record, headAt) = next;
        }
        else
        {
            *arena.OfferField(previous, OfferNextAt) = next;
        }

        if (next == 0)
        {
            *arena.ChannelField(record, headAt + 4) = previous;
        }
        else
        {
            *arena.OfferField(next, OfferPreviousAt) = previous;
        }

        o[OfferNextAt / 4] = 0;
        o[OfferPreviousAt / 4] = 0;
        o[OfferListAt / 4] = NoList;
    }

    private void FailAll(int headAt, int outcome)
    {
        while (PopOffer(headAt) is var offer && offer != 0)
        {
            int slot = *Arena.OfferField(offer, OfferSlotAt);
            if (Arena.TryClaim(slot, outcome))
            {
                Arena.SetFailedGuard(slot, *Arena.OfferField(offer, OfferGuardAt));
                Arena.Signal(slot);
            }
        }
    }
}

/// <summary>What a fair selection waiting for a returning peer does next (<see cref="SharedChannel.ReturningPeer"/>).</summary>
internal enum ReturningPeerWait
{
    /// <summary>Select now.</summary>
    None,

    /// <summary>Yield the core and ask again.</summary>
    Yield,

    /// <summary>Sleep a millisecond (the peer's process is off every core: give it this one) and ask again.</summary>
    Sleep,
}

/// <summary>One fair selection's wait for a returning peer: its limit, when it began, when the peer was seen back, and how it ended.</summary>
internal struct ReturningPeerState(TimeSpan limit, bool steady)
{
    /// <summary>The longest wait, in <see cref="Stopwatch"/> ticks (a quarter of the selection's time-out, if it has one).</summary>
    public readonly long Limit = limit == TimeSpan.MaxValue ? long.MaxValue : (long)(limit.TotalSeconds * Stopwatch.Frequency);

    /// <summary>When the wait began (0: not yet looked).</summary>
    public long Start;

    /// <summary>When the peer was first seen to have seen its hand-over without offering again (0: it has not).</summary>
    public long Back;

    /// <summary>The peer came back promptly at its last turns: wait for it after it has seen its hand-over too (up to the patience), not only the grace.</summary>
    public bool Steady = steady;

    /// <summary>The guard became ready (the peer offered again) while it was looked at.</summary>
    public bool CameBack;

    /// <summary>A steady peer offered again more than 5 ms after it had seen its hand-over (late: it computes now, or a loaded host kept it off the cores).</summary>
    public bool Late;

    /// <summary>The wait ended at its limit (the patience, or a quarter of the selection's time-out) with the peer not back.</summary>
    public bool TimedOut;
}
