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
                    Enqueue(TakeOfferValue(offer));
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
                value = TakeOfferValue(offer);
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
                *Arena.OfferField(offer, OfferValueAt) = value;
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
        int* o = Arena.OfferField(offer, 0);
        int list = o[OfferListAt / 4];
        if (list != NoList)
        {
            Unlink(offer, list == ReaderList ? ReadersHeadAt : WritersHeadAt);
        }

        int value = o[OfferValueAt / 4];
        Arena.FreeOfferLocked(offer);
        return value;
    }

    /// <summary>Counts one more end on one side.</summary>
    public void AddEndLocked(bool writer)
    {
        if (!IsStale)
        {
            (*Field(writer ? LiveWritersAt : LiveReadersAt))++;
        }
    }

    /// <summary>Poisons the channel and fails every waiting offer; a reader's poison drops what is buffered.</summary>
    public void PoisonLocked(bool byWriter)
    {
        ChannelState state = State;
        if (IsStale || (state & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter)) != 0)
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TakeOfferValue(int offer)
    {
        int* value = Arena.OfferField(offer, OfferValueAt);
        int taken = *value;
        *value = 0;
        return taken;
    }

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

    /// <summary>Removes an offer from the queue it is in (if any) on its channel; the offer stays allocated. The caller holds the lock.</summary>
    internal static void UnlinkQueuedLocked(CspArena arena, int offer)
    {
        int* o = arena.OfferField(offer, 0);
        int list = o[OfferListAt / 4];
        if (list != NoList)
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
