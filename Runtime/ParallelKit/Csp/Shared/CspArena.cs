using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;
using static ParallelKit.CspRuntime.CspArenaLayout;

namespace ParallelKit.CspRuntime;

/// <summary>
/// The shared memory of the CSP channels one OS process has passed to OS processes of its own (see
/// <see cref="SharedChannel"/>): their states, the offers of waiting readers and writers, the claim slots of
/// waiting selections and the values in flight, in one segment under one robust lock (<see cref="CspArenaLayout"/>).
/// The process that promotes its first channel creates it; every OS process an end is passed to opens it by name.
/// </summary>
/// <remarks>
/// <para>
/// One lock for all of them keeps an alternation over several channels to one lock (no lock order across
/// processes, no partly registered selection) and costs little: each critical section moves a few words and
/// at most one value.
/// </para>
/// <para>
/// A waiting selection owns a slot: a claim word (compare-and-swapped from <see cref="Selection.Waiting"/> to the
/// chosen guard or a failure, by whoever completes it, in any process) and a state word, the futex the waiter
/// sleeps on: <c>Unparked</c> while it spins, <c>ParkedBlocking</c> (a thread sleeps on the word) or
/// <c>ParkedAsync</c> (an async waiter: its process's doorbell thread completes it), and <c>Done</c>, set once by
/// the signal with an exchange whose old value says whom to wake. A process rings another's doorbell (a
/// sequence word its doorbell threads sleep on) only to complete an async waiter there.
/// </para>
/// <para>
/// A process killed while it holds the lock leaves it to the next taker (the lock is robust), which signals the
/// claims it made but never signaled (<see cref="FinishAbandonedClaims"/>); it may also leave a list half-linked.
/// Its channels are poisoned by the process that started it as soon as it is reaped, which is what every waiter on
/// them then sees; just before, that process reclaims the slots, offers and values the dead one owned
/// (<see cref="ReclaimDeadProcess"/>).
/// </para>
/// <para>
/// A doorbell thread ends after a few quiet slices with nothing of its process parked, and the next parked async
/// waiter starts one again (<see cref="EnsureDoorbell"/>).
/// </para>
/// <para>
/// The paths every communication takes (here, in <see cref="SharedChannel"/>, and the shared paths of
/// <see cref="CspChannel{T}"/> and <see cref="Selection"/>) are compiled optimized at their first call
/// (<see cref="MethodImplOptions.AggressiveOptimization"/>): an OS-process member is a fresh process, and tiered
/// compilation would run its first thousands of communications as tier-0 code.
/// </para>
/// </remarks>
internal sealed unsafe class CspArena
{
    private const int Unparked = 0;
    private const int ParkedBlocking = 1;
    private const int ParkedAsync = 2;
    private const int Done = 3;

    /// <summary>Sleep slices (of <see cref="WaitWord.SliceMilliseconds"/>) with no ring and nothing parked after which a doorbell thread ends.</summary>
    private const int IdleSlicesBeforeExit = 3;

    private static readonly ulong Tag = SharedSegment.TypeTag("CspArena", typeof(int), DataSize);
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<string, CspArena> s_opened = [];
    private static CspArena? s_own;

    [ThreadStatic]
    private static byte[]? t_value;

    private readonly SharedSegment _segment;
    private readonly byte* _data;
    private readonly int _me;
    private readonly Dictionary<int, Selection> _parked = [];
    private readonly Dictionary<int, CspChannel> _views = [];
    private int _listeners;     // doorbell threads
    private int _idleListeners; // doorbell threads listening (not running a continuation)
    private int _spinning;      // 1 while a doorbell thread spins on the bell (one at a time: the others sleep)
    private long _runningSince; // when a doorbell thread began running what it took off the bell (0: none runs)
    private int _runningBell;   // the bell then

    [ThreadStatic]
    private static CspArena? t_running; // the arena whose waiter this doorbell thread runs, while it runs it

    private CspArena(SharedSegment segment)
    {
        _segment = segment;
        _data = segment.Data;
        using (Lock())
        {
            _me = AttachLocked();
        }
    }

    /// <summary>The segment's name, which OS processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>This process's arena, created the first time a channel of this process is promoted.</summary>
    public static CspArena Own
    {
        get
        {
            lock (s_gate)
            {
                if (s_own is null)
                {
                    s_own = new CspArena(SharedSegment.Create(DataSize, Tag));
                    s_opened[s_own.Name] = s_own;
                    SegmentFiles.OwnParts(s_own.Name); // values kept in files of their own (WriteValueLocked) go when this process exits
                }

                return s_own;
            }
        }
    }

    /// <summary>The arena named <paramref name="name"/>, opened once per process (and never closed: waiters may sleep on it).</summary>
    public static CspArena Open(string name)
    {
        lock (s_gate)
        {
            if (!s_opened.TryGetValue(name, out CspArena? arena))
            {
                arena = new CspArena(SharedSegment.Open(name, Tag, "CSP channels"));
                s_opened[name] = arena;
            }

            return arena;
        }
    }

    /// <summary>Takes the arena's lock. A holder that died leaves it to us; see the remarks on what that leaves behind.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Holder Lock()
    {
        Enter();
        return new Holder(_segment.LockWord);
    }

    /// <summary>Takes the arena's lock, for a holder that releases it with <see cref="Unlock"/> (it cannot use <see langword="using"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Enter()
    {
        RobustLock.Enter(_segment.LockWord, reentrant: false, -1, out bool abandoned);
        if (abandoned)
        {
            FinishAbandonedClaims();
        }
    }

    /// <summary>Releases the lock taken by <see cref="Enter"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Unlock()
    {
        RobustLock.Exit(_segment.LockWord);
        Released();
    }

    /// <summary>
    /// Called once, after the next release of any arena's lock in this process, then forgotten: an OS-process member
    /// says it started once its method has done its first channel operation (its first offer is then in place).
    /// </summary>
    internal static Action? OnNextRelease;

    /// <summary>After the lock was released: runs <see cref="OnNextRelease"/> if one is set (a field read otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Released()
    {
        if (Volatile.Read(ref OnNextRelease) is not null && Interlocked.Exchange(ref OnNextRelease, null) is { } action)
        {
            action();
        }
    }

    /// <summary>The channel object of record <paramref name="record"/> in this process: one per record, so that the ends of one channel share it.</summary>
    public CspChannel<T> View<T>(int record, int generation, string name)
    {
        if (record < 1 || record > MaxChannels)
        {
            throw new InvalidOperationException($"Channel record {record} is not in the CSP arena {Name}.");
        }

        lock (_views)
        {
            if (_views.TryGetValue(record, out CspChannel? view) && view is CspChannel<T> typed && typed.Shared!.Generation == generation)
            {
                return typed;
            }

            int buffer = Volatile.Read(ref *ChannelField(record, ChannelLayout.CapacityAt));
            var channel = new CspChannel<T>(new SharedChannel(this, record, generation, name), buffer, name);
            _views[record] = channel;
            return channel;
        }
    }

    /// <summary>
    /// Allocates a channel record holding the given state; the caller holds the lock. Once every record was used, one
    /// whose channel has ended (poisoned, or retired on both sides, with nothing buffered and nobody waiting) is reused,
    /// its generation moved on: the views of the ended channel still held anywhere then see it retired.
    /// </summary>
    /// <exception cref="InvalidOperationException">All records hold channels that have not ended.</exception>
    public int AllocateChannelLocked(int capacity, int liveReaders, int liveWriters, ChannelState state, out int generation)
    {
        int record = *Int(ChannelCountAt) + 1;
        if (record <= MaxChannels)
        {
            *Int(ChannelCountAt) = record;
        }
        else
        {
            record = 0;
            for (int candidate = 1; candidate <= MaxChannels && record == 0; candidate++)
            {
                if (HasEnded(candidate))
                {
                    record = candidate;
                }
            }

            if (record == 0)
            {
                throw new InvalidOperationException($"{MaxChannels} CSP channels of this process that are used across OS processes have not ended: no room for one more.");
            }
        }

        int* channel = ChannelField(record, 0);
        generation = channel[ChannelLayout.GenerationAt / 4] + 1;
        new Span<byte>(channel, ChannelSize).Clear();
        channel[ChannelLayout.GenerationAt / 4] = generation;
        channel[ChannelLayout.StateAt / 4] = (int)state;
        channel[ChannelLayout.LiveReadersAt / 4] = liveReaders;
        channel[ChannelLayout.LiveWritersAt / 4] = liveWriters;
        channel[ChannelLayout.CapacityAt / 4] = capacity;
        return record;
    }

    /// <summary>A word of channel record <paramref name="record"/>.</summary>
    public int* ChannelField(int record, int at) => Int(ChannelsAt + ((Checked(record, MaxChannels, "channel") - 1) * ChannelSize) + at);

    /// <summary>Allocates a claim slot for a selection of this process; the caller holds the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int AllocateSlotLocked()
    {
        int slot = Pop(FreeSlotAt, SlotBumpAt, MaxSlots, SlotsAt, SlotSize, "waiting selections");
        int* s = SlotField(slot, 0);
        s[SlotClaimAt / 4] = Selection.Waiting;
        s[SlotStateAt / 4] = Unparked;
        s[SlotOwnerAt / 4] = _me;
        s[SlotFailedGuardAt / 4] = -1;
        return slot;
    }

    /// <summary>Frees a slot whose offers are all withdrawn; the caller holds the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FreeSlotLocked(int slot)
    {
        *SlotField(slot, SlotOwnerAt) = 0; // not in use: FinishAbandonedClaims skips it
        Push(FreeSlotAt, SlotsAt, SlotSize, slot);
    }

    /// <summary>Claims slot <paramref name="slot"/> for <paramref name="outcome"/>; false when someone claimed it first.</summary>
    public bool TryClaim(int slot, int outcome) => Interlocked.CompareExchange(ref *SlotField(slot, SlotClaimAt), outcome, Selection.Waiting) == Selection.Waiting;

    /// <summary>The outcome a slot was claimed for (<see cref="Selection.Waiting"/> until then).</summary>
    public int ClaimOf(int slot) => Volatile.Read(ref *SlotField(slot, SlotClaimAt));

    /// <summary>The guard whose channel failed a slot's selection (-1 when none did).</summary>
    public int FailedGuardOf(int slot) => Volatile.Read(ref *SlotField(slot, SlotFailedGuardAt));

    /// <summary>Records which guard's channel failed a slot's selection, before the signal.</summary>
    public void SetFailedGuard(int slot, int guard) => Volatile.Write(ref *SlotField(slot, SlotFailedGuardAt), guard);

    /// <summary>Wakes a slot's waiter, in whatever process it waits; called once, by its claimer, once the value has moved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Signal(int slot)
    {
        int* state = SlotField(slot, SlotStateAt);

        // Read before Done is set: from then on the waiter (or this process's doorbell) may free the slot and reuse it.
        int owner = Volatile.Read(ref *SlotField(slot, SlotOwnerAt));
        int old = Interlocked.Exchange(ref *state, Done);
        if (old == ParkedBlocking)
        {
            new WaitWord(state, null).Wake(1);
        }
        else if (old == ParkedAsync)
        {
            if (owner == _me)
            {
                CompleteParked(slot);
            }
            else
            {
                // Always moved on (a doorbell thread that spins watches it); a sleeper is woken only when the process's
                // doorbell is not attended (attended: a listener spins on it, or runs what it took off it and looks
                // again after: no system call, and the spare listener sleeps on). Whoever stops attending clears the
                // word with a full fence before it looks at the bell again.
                int* entry = ProcessEntry(owner);
                int* bell = entry + (ProcessDoorbellAt / 4);
                Interlocked.Increment(ref *bell);
                if (Volatile.Read(ref entry[ProcessDoorbellAttendedAt / 4]) == 0)
                {
                    new WaitWord(bell, entry + (ProcessDoorbellSleepersAt / 4)).Wake(1);
                }
            }
        }
    }

    /// <summary>Blocks the calling thread until slot <paramref name="slot"/> is signaled: spins briefly, then sleeps on its state word.</summary>
    public void WaitBlocking(int slot)
    {
        int* state = SlotField(slot, SlotStateAt);
        if (Spin(state, CspSpin.SharedBlockingTicks))
        {
            return;
        }

        CspRunner.BeforeBlocking();
        if (Interlocked.CompareExchange(ref *state, ParkedBlocking, Unparked) != Unparked)
        {
            return;
        }

        new WaitWord(state, null).SleepWhileUnchanged(ParkedBlocking, Deadline.Never, _segment, CancellationToken.None);
    }

    /// <summary>
    /// Spins briefly for slot <paramref name="slot"/>'s signal, then parks <paramref name="selection"/> for the
    /// doorbell: true when it was signaled meanwhile (the caller goes on at once), false when the selection's task
    /// completes later.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool WaitAsync(int slot, Selection selection)
    {
        int* state = SlotField(slot, SlotStateAt);
        if (Spin(state, CspSpin.SharedAsyncTicks))
        {
            return true;
        }

        lock (_parked)
        {
            _parked[slot] = selection;
        }

        if (Interlocked.CompareExchange(ref *state, ParkedAsync, Unparked) != Unparked)
        {
            lock (_parked)
            {
                // Signaled meanwhile: the doorbell may have found it first and completes it; else we go on at once.
                return _parked.Remove(slot);
            }
        }

        EnsureDoorbell();
        return false;
    }

    /// <summary>
    /// Values larger than this are kept in a file of their own (a part of the arena's segment, in <c>/dev/shm</c>)
    /// and only its name in a cell: the cells stay for the many small values, and a channel may hold values of any
    /// size, as many as its buffer and its waiting writers hold (<see cref="WriteValueLocked"/>).
    /// </summary>
    internal const int KeptApartAbove = 64 * 1024;

    /// <summary>
    /// Stores a value's MemoryPack bytes: in a chain of cells, or, when it is larger than <see cref="KeptApartAbove"/> or
    /// the cells are all in use, in a file of its own named in one cell. Returns the chain; the caller holds the lock.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not even one cell is free (the network holds thousands of values in flight).</exception>
    /// <exception cref="IOException">The value's file cannot be written (<c>/dev/shm</c> is full).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int WriteValueLocked(ReadOnlySpan<byte> bytes)
    {
        int cellsNeeded = Math.Max(1, (bytes.Length + CellPayload - 1) / CellPayload);
        if (bytes.Length > KeptApartAbove
            || (cellsNeeded > 1 && MaxCells - *Int(CellsInUseAt) - cellsNeeded < CellsKeptForSingleCellValues))
        {
            return KeepApartLocked(bytes);
        }

        int first = 0;
        int previous = 0;
        int at = 0;
        do
        {
            int cell = TryPopCell();
            if (cell == 0)
            {
                if (first != 0)
                {
                    FreeValueLocked(first);
                }

                return KeepApartLocked(bytes);
            }

            int* header = CellField(cell, 0);
            header[CellNextAt / 4] = 0;
            header[CellLengthAt / 4] = bytes.Length;
            header[CellNextValueAt / 4] = 0;
            int length = Math.Min(CellPayload, bytes.Length - at);
            bytes.Slice(at, length).CopyTo(new Span<byte>((byte*)header + CellPayloadAt, length));
            at += length;
            if (first == 0)
            {
                first = cell;
            }
            else
            {
                *CellField(previous, CellNextAt) = cell;
            }

            previous = cell;
        }
        while (at < bytes.Length);

        return first;
    }

    /// <summary>
    /// Writes a value to a file of its own, <c>{arena}-{random}</c> (created new, readable by this user only), and
    /// returns the one cell that names it: its length is the value's, negated. The caller holds the lock.
    /// </summary>
    private int KeepApartLocked(ReadOnlySpan<byte> bytes)
    {
        int cell = TryPopCell();
        if (cell == 0)
        {
            throw new InvalidOperationException(
                $"The CSP channels between these OS processes have all {MaxCells} cells for values in flight in use: read some before writing more.");
        }

        try
        {
            for (int attempt = 0; ; attempt++)
            {
                long id = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
                string name = SegmentFiles.PartName(Name, id);
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0, PreallocationSize = bytes.Length };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                FileStream file;
                try
                {
                    file = new FileStream(SegmentFiles.PathOf(name), options);
                }
                catch (IOException) when (attempt < 4 && File.Exists(SegmentFiles.PathOf(name)))
                {
                    continue; // the name is taken (by chance, or planted): another one
                }

                try
                {
                    using (file)
                    {
                        file.Write(bytes);
                    }
                }
                catch
                {
                    SegmentFiles.Unlink(name); // /dev/shm is full: no part of the value stays
                    throw;
                }

                int* header = CellField(cell, 0);
                header[CellNextAt / 4] = 0;
                header[CellLengthAt / 4] = -bytes.Length;
                header[CellNextValueAt / 4] = 0;
                *(long*)((byte*)header + CellPayloadAt) = id;
                return cell;
            }
        }
        catch
        {
            PushCell(cell);
            throw;
        }
    }

    /// <summary>The file a value kept apart is in (<see cref="KeepApartLocked"/>).</summary>
    private string KeptApartName(int cell) => SegmentFiles.PartName(Name, *(long*)((byte*)CellField(cell, 0) + CellPayloadAt));

    /// <summary>Copies a value out of its cells (or its file) and frees them; the span lives until the calling thread's next call. The caller holds the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> TakeValueLocked(int chain)
    {
        int length = *CellField(chain, CellLengthAt);
        if (length < 0)
        {
            return TakeKeptApartLocked(chain, -length);
        }

        if ((uint)length > (uint)(MaxCells * CellPayload))
        {
            throw new InvalidOperationException($"The CSP shared memory is corrupt: a value of {length} bytes is announced.");
        }

        byte[] buffer = t_value is { } b && b.Length >= length ? b : t_value = new byte[Math.Max(length, 256)];
        int at = 0;
        for (int cell = chain; cell != 0 && at < length; cell = *CellField(cell, CellNextAt))
        {
            int part = Math.Min(CellPayload, length - at);
            new ReadOnlySpan<byte>((byte*)CellField(cell, CellPayloadAt), part).CopyTo(buffer.AsSpan(at));
            at += part;
        }

        if (at < length)
        {
            throw new InvalidOperationException($"The CSP shared memory is corrupt: a value of {length} bytes has only {at} in its cells.");
        }

        FreeValueLocked(chain);
        return buffer.AsSpan(0, length);
    }

    private byte[] TakeKeptApartLocked(int cell, int length)
    {
        string name = KeptApartName(cell);
        byte[] buffer = new byte[length]; // not kept per thread: large
        int at = 0;
        using (var file = new FileStream(SegmentFiles.PathOf(name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1))
        {
            for (int read; at < length && (read = file.Read(buffer, at, length - at)) > 0;)
            {
                at += read;
            }
        }

        if (at < length)
        {
            throw new InvalidOperationException($"The CSP shared memory is corrupt: a value of {length} bytes has only {at} in its file.");
        }

        FreeValueLocked(cell);
        return buffer;
    }

    /// <summary>Frees a value's cells (and removes its file if it was kept apart); the caller holds the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FreeValueLocked(int chain)
    {
        if (chain != 0 && *CellField(chain, CellLengthAt) < 0)
        {
            SegmentFiles.Unlink(KeptApartName(chain));
            *CellField(chain, CellLengthAt) = 0;
        }

        for (int freed = 0; chain != 0; freed++)
        {
            if (freed == MaxCells)
            {
                throw new InvalidOperationException("The CSP shared memory is corrupt: a value's cells link in a cycle.");
            }

            int next = *CellField(chain, CellNextAt);
            PushCell(chain);
            chain = next;
        }
    }

    /// <summary>The link from a buffered value to the next one (a word of its first cell).</summary>
    public int* NextValue(int chain) => CellField(chain, CellNextValueAt);

    /// <summary>Allocates an offer record; the caller holds the lock.</summary>
    public int AllocateOfferLocked()
    {
        int offer = Pop(FreeOfferAt, OfferBumpAt, MaxOffers, OffersAt, OfferSize, "waiting offers");
        new Span<byte>(OfferField(offer, 0), OfferSize).Clear();
        return offer;
    }

    /// <summary>Frees an offer record (unlinked); the caller holds the lock.</summary>
    public void FreeOfferLocked(int offer)
    {
        *OfferField(offer, OfferSlotAt) = 0; // not in use: ReclaimLocked skips it
        Push(FreeOfferAt, OffersAt, OfferSize, Checked(offer, MaxOffers, "offer"));
    }

    /// <summary>Whether claim slot <paramref name="slot"/> belongs to a waiter in another OS process than this one.</summary>
    public bool IsOwnedElsewhere(int slot) => Volatile.Read(ref *SlotField(slot, SlotOwnerAt)) != _me;

    /// <summary>Whether the process that owns slot <paramref name="slot"/> is known dead (reaped; see <see cref="ReclaimDeadProcess"/>).</summary>
    public bool IsOwnerDead(int slot)
    {
        int owner = Volatile.Read(ref *SlotField(slot, SlotOwnerAt));
        return owner != 0 && Volatile.Read(ref *(ProcessEntry(owner) + (ProcessDeadAt / 4))) != 0;
    }

    /// <summary>
    /// Called when the OS process <paramref name="pid"/> (a member this process started) has been reaped: in every arena
    /// this process has open, under its lock, the dead process's entry is marked dead (a hand-over never goes to its
    /// offers) and every claim slot, offer and value in flight it owned is freed, its offers taken off their channels'
    /// queues. A program whose members die so keeps its room in the arena.
    /// </summary>
    public static void ReclaimDeadProcess(int pid)
    {
        CspArena[] arenas;
        lock (s_gate)
        {
            arenas = [.. s_opened.Values];
        }

        foreach (CspArena arena in arenas)
        {
            arena.ReclaimDead(pid);
        }
    }

    /// <summary>The claim slots, offers and value cells in use in this arena (taken and not on a free list); for tests and diagnostics.</summary>
    internal (int Slots, int Offers, int Cells) InUse()
    {
        using (Lock())
        {
            return (
                *Int(SlotBumpAt) - FreeCount(FreeSlotAt, MaxSlots, SlotsAt, SlotSize, "claim slot"),
                *Int(OfferBumpAt) - FreeCount(FreeOfferAt, MaxOffers, OffersAt, OfferSize, "offer"),
                *Int(CellBumpAt) - FreeCount(FreeCellAt, MaxCells, CellsAt, CellSize, "value cell"));
        }
    }

    private int FreeCount(int freeAt, int max, int tableAt, int size, string what)
    {
        int count = 0;
        for (int record = *Int(freeAt); record != 0 && count <= max; count++)
        {
            record = *Int(tableAt + ((Checked(record, max, what) - 1) * size));
        }

        return count;
    }

    /// <summary>A word of offer record <paramref name="offer"/>.</summary>
    public int* OfferField(int offer, int at) => Int(OffersAt + ((Checked(offer, MaxOffers, "offer") - 1) * OfferSize) + at);

    /// <summary>
    /// The lock's last holder died holding it: a process killed in the middle of a hand-over may have claimed a
    /// waiter's slot and never signaled it. Every slot in use that is claimed but not signaled is signaled now; its
    /// waiter then finds no value where one should be, and fails as poisoned (the process that died is reaped, and
    /// its channels poisoned, within a second anyway). The caller holds the lock.
    /// </summary>
    private void FinishAbandonedClaims()
    {
        int used = *Int(SlotBumpAt);
        for (int slot = 1; slot <= used; slot++)
        {
            if (*SlotField(slot, SlotOwnerAt) != 0
                && ClaimOf(slot) != Selection.Waiting
                && Volatile.Read(ref *SlotField(slot, SlotStateAt)) != Done)
            {
                Signal(slot);
            }
        }

        RecountHandOversLocked();
    }

    /// <summary>
    /// Every channel's hand-overs in flight across processes (taken writes, given reads), counted again from the offers
    /// that are marked so: a process that died inside the lock may have marked one and not counted it. The caller holds
    /// the lock.
    /// </summary>
    private void RecountHandOversLocked()
    {
        int channels = Math.Min(*Int(ChannelCountAt), MaxChannels);
        for (int record = 1; record <= channels; record++)
        {
            *ChannelField(record, ChannelLayout.TakenInFlightAt) = 0;
            *ChannelField(record, ChannelLayout.GivenInFlightAt) = 0;
        }

        int offers = Math.Min(*Int(OfferBumpAt), MaxOffers);
        for (int offer = 1; offer <= offers; offer++)
        {
            int list = *OfferField(offer, OfferListAt);
            int channel = *OfferField(offer, OfferChannelAt);
            if (*OfferField(offer, OfferSlotAt) != 0 // in use
                && list is SharedChannel.TakenWriteList or SharedChannel.GivenReadList
                && channel >= 1 && channel <= channels)
            {
                (*ChannelField(channel, SharedChannel.InFlightAt(list)))++;
            }
        }
    }

    private void ReclaimDead(int pid)
    {
        using (Lock())
        {
            int entries = *Int(ProcessCountAt);
            for (int entry = 1; entry <= Math.Min(entries, MaxProcesses); entry++)
            {
                int* e = ProcessEntry(entry);
                // Reclaiming twice finds nothing the second time (its freed slots have no owner); an entry reused by
                // another process holds a live process.
                if (entry != _me
                    && e[ProcessPidAt / 4] == pid
                    && !OwnerIdentity.IsAlive(pid, *(long*)(e + (ProcessStartTimeAt / 4))))
                {
                    Volatile.Write(ref e[ProcessDeadAt / 4], 1);
                    ReclaimLocked(entry);
                }
            }
        }
    }

    /// <summary>
    /// Frees every claim slot of process entry <paramref name="entry"/>, its offers (taken off their queues) and the
    /// values they hold (a write's value, or a value handed to a read it never took). The caller holds the lock.
    /// </summary>
    private void ReclaimLocked(int entry)
    {
        int usedSlots = *Int(SlotBumpAt);
        var owned = new bool[usedSlots + 1];
        bool any = false;
        for (int slot = 1; slot <= usedSlots; slot++)
        {
            if (*SlotField(slot, SlotOwnerAt) == entry)
            {
                owned[slot] = any = true;
            }
        }

        if (!any)
        {
            return;
        }

        int usedOffers = *Int(OfferBumpAt);
        for (int offer = 1; offer <= usedOffers; offer++)
        {
            int slot = *OfferField(offer, OfferSlotAt);
            if ((uint)slot < (uint)owned.Length && owned[slot])
            {
                SharedChannel.UnlinkQueuedLocked(this, offer);
                int value = *OfferField(offer, OfferValueAt);
                if (value != 0)
                {
                    FreeValueLocked(value);
                }

                FreeOfferLocked(offer);
            }
        }

        for (int slot = 1; slot <= usedSlots; slot++)
        {
            if (owned[slot])
            {
                FreeSlotLocked(slot);
            }
        }
    }

    /// <summary>The words of process entry <paramref name="entry"/>.</summary>
    private int* ProcessEntry(int entry) => Int(ProcessesAt + (Checked(entry, MaxProcesses, "process") * ProcessSize));

    /// <summary>
    /// Takes a process entry (its doorbell): a fresh one, or, once all were used, one whose process has died (pid and
    /// start time: a reused pid is not mistaken for it). The caller holds the lock.
    /// </summary>
    private int AttachLocked()
    {
        int entry = *Int(ProcessCountAt) + 1;
        if (entry <= MaxProcesses)
        {
            *Int(ProcessCountAt) = entry;
        }
        else
        {
            entry = 0;
            for (int candidate = 1; candidate <= MaxProcesses && entry == 0; candidate++)
            {
                int* e = ProcessEntry(candidate);
                if (!OwnerIdentity.IsAlive(e[ProcessPidAt / 4], *(long*)(e + (ProcessStartTimeAt / 4))))
                {
                    entry = candidate;
                }
            }

            if (entry == 0)
            {
                throw new InvalidOperationException($"{MaxProcesses} live OS processes already use the CSP channels created by process {Environment.ProcessId}: no room for one more.");
            }
        }

        int* mine = ProcessEntry(entry);
        mine[ProcessPidAt / 4] = Environment.ProcessId;
        mine[ProcessDoorbellSleepersAt / 4] = 0; // a dead process's sleepers never withdrew
        mine[ProcessDeadAt / 4] = 0;
        mine[ProcessDoorbellAttendedAt / 4] = 0; // nor did its listener stop attending
        *(long*)(mine + (ProcessStartTimeAt / 4)) = OwnerIdentity.StartTime;
        return entry;
    }

    /// <summary>Whether channel record <paramref name="record"/> holds a channel that has ended and that nobody waits on. The caller holds the lock.</summary>
    private bool HasEnded(int record)
    {
        var state = (ChannelState)(*ChannelField(record, ChannelLayout.StateAt));
        int buffered = *ChannelField(record, ChannelLayout.CountAt);
        bool ended = (state & ChannelState.PoisonedByReader) != 0
            || ((state & ChannelState.PoisonedByWriter) != 0 && buffered == 0)
            || (state & (ChannelState.ReadersRetired | ChannelState.WritersRetired)) == (ChannelState.ReadersRetired | ChannelState.WritersRetired);
        // An offer taken or given but not yet withdrawn by its owner still names the record (it is withdrawn, or reclaimed
        // with its dead owner, soon).
        if (!ended
            || *ChannelField(record, ChannelLayout.ReadersHeadAt) != 0
            || *ChannelField(record, ChannelLayout.WritersHeadAt) != 0
            || *ChannelField(record, ChannelLayout.TakenInFlightAt) != 0
            || *ChannelField(record, ChannelLayout.GivenInFlightAt) != 0)
        {
            return false;
        }

        // Its buffered values (a reader's poison drops them) go back to the free cells.
        int value = *ChannelField(record, ChannelLayout.BufferHeadAt);
        while (value != 0)
        {
            int next = *NextValue(value);
            FreeValueLocked(value);
            value = next;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Spin(int* state, long ticks)
    {
        long deadline = CspSpin.Deadline(ticks);
        do
        {
            if (Volatile.Read(ref *state) == Done)
            {
                return true;
            }
        }
        while (CspSpin.Pause(deadline));

        return false;
    }

    private int* Int(int at) => (int*)(_data + at);

    private int* SlotField(int slot, int at) => Int(SlotsAt + ((Checked(slot, MaxSlots, "claim slot") - 1) * SlotSize) + at);

    private int* CellField(int cell, int at) => Int(CellsAt + ((Checked(cell, MaxCells, "value cell") - 1) * CellSize) + at);

    /// <summary>
    /// A 1-based record number read from the arena, checked against its table: a number out of range means a broken
    /// process wrote where it should not, and is never used to address memory.
    /// </summary>
    /// <exception cref="InvalidOperationException">The number is out of range.</exception>
    private static int Checked(int record, int max, string what)
        => (uint)(record - 1) < (uint)max
            ? record
            : throw new InvalidOperationException($"The CSP shared memory is corrupt: {what} number {record} is out of range (1 to {max}).");

    /// <summary>Takes a record from a free list (its first word links the next), or a fresh one; 1-based.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Pop(int freeAt, int bumpAt, int max, int tableAt, int size, string what)
    {
        int record = TryPop(freeAt, bumpAt, max, tableAt, size, what);
        return record != 0
            ? record
            : throw new InvalidOperationException($"The shared memory of CSP channels across OS processes is full: more than {max} {what}.");
    }

    /// <summary>A free cell for a value, or 0 when every one is in use (counted in <see cref="CspArenaLayout.CellsInUseAt"/>); the caller holds the lock.</summary>
    private int TryPopCell()
    {
        int cell = TryPop(FreeCellAt, CellBumpAt, MaxCells, CellsAt, CellSize);
        if (cell != 0)
        {
            (*Int(CellsInUseAt))++;
        }

        return cell;
    }

    /// <summary>Frees a value's cell; the caller holds the lock.</summary>
    private void PushCell(int cell)
    {
        Push(FreeCellAt, CellsAt, CellSize, cell);
        (*Int(CellsInUseAt))--;
    }

    /// <summary>A free record of a table (1-based), or 0 when every one is in use; the caller holds the lock.</summary>
    private int TryPop(int freeAt, int bumpAt, int max, int tableAt, int size, string what = "value cell")
    {
        int head = *Int(freeAt);
        if (head != 0)
        {
            *Int(freeAt) = *Int(tableAt + ((Checked(head, max, what) - 1) * size));
            return head;
        }

        int next = *Int(bumpAt) + 1;
        if (next > max)
        {
            return 0;
        }

        *Int(bumpAt) = next;
        return next;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Push(int freeAt, int tableAt, int size, int record)
    {
        *Int(tableAt + ((record - 1) * size)) = *Int(freeAt);
        *Int(freeAt) = record;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CompleteParked(int slot)
    {
        Selection? selection = null;
        lock (_parked)
        {
            // The doorbell may have completed it already, and the slot been freed and reused by a waiter not yet signaled.
            if (Volatile.Read(ref *SlotField(slot, SlotStateAt)) == Done)
            {
                _parked.Remove(slot, out selection);
            }
        }

        selection?.WakeParked();
    }

    private void EnsureDoorbell()
    {
        if (Volatile.Read(ref _listeners) == 0)
        {
            lock (_parked)
            {
                if (_listeners == 0)
                {
                    StartListener();
                }
            }
        }
    }

    private void StartListener()
    {
        Interlocked.Increment(ref _listeners);
        Interlocked.Increment(ref _idleListeners);
        var thread = new Thread(DoorbellLoop) { IsBackground = true, Name = "PK CSP doorbell" };
        thread.Start();
    }

    /// <summary>
    /// Completes this process's async waiters whose slots other processes signaled; a lost ring costs one slice at
    /// most. The thread runs the first ready waiter's continuation itself, with the hand-offs it makes
    /// (<see cref="CspRunner"/>: one thread wake-up per crossing at most, no thread-pool hop), so it first makes sure
    /// another thread listens meanwhile (leader and followers): a continuation that blocks, even on another async
    /// waiter of this process, never stops the doorbell. Before it sleeps, one listener at a time spins on the bell
    /// for <see cref="CspSpin.DoorbellTicks"/>: the peer of a network that takes turns across processes answers
    /// within microseconds, and then a ring costs neither a system call nor a wake-up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DoorbellLoop()
    {
        int* entry = ProcessEntry(_me);
        int* bell = entry + (ProcessDoorbellAt / 4);
        var doorbell = new WaitWord(bell, entry + (ProcessDoorbellSleepersAt / 4));
        var ready = new List<Selection>();
        var slots = new List<int>();
        int quietSlices = 0;
        while (true)
        {
            int seen = Volatile.Read(ref *bell);
            lock (_parked)
            {
                foreach (KeyValuePair<int, Selection> parked in _parked)
                {
                    if (Volatile.Read(ref *SlotField(parked.Key, SlotStateAt)) == Done)
                    {
                        slots.Add(parked.Key);
                        ready.Add(parked.Value);
                    }
                }

                foreach (int slot in slots)
                {
                    _parked.Remove(slot);
                }

                if (ready.Count > 0 && Interlocked.Decrement(ref _idleListeners) == 0)
                {
                    StartListener();
                }
            }

            if (ready.Count == 0)
            {
                if (!SpinOnBell(entry, bell, seen))
                {
                    if (Volatile.Read(ref _runningSince) == 0 && Volatile.Read(ref _spinning) == 0)
                    {
                        // Nobody of this process looks at the bell without a wake-up now (a full fence before the sleep's look).
                        Interlocked.Exchange(ref entry[ProcessDoorbellAttendedAt / 4], 0);
                    }

                    doorbell.Announce();
                    try
                    {
                        doorbell.SleepWhileUnchanged(seen, Deadline.After(WaitWord.SliceMilliseconds), _segment, CancellationToken.None);
                    }
                    finally
                    {
                        doorbell.Withdraw();
                    }

                    quietSlices = Volatile.Read(ref *bell) == seen ? quietSlices + 1 : 0;
                    if (quietSlices >= IdleSlicesBeforeExit && TryEndIdleListener())
                    {
                        return;
                    }
                }

                continue;
            }

            quietSlices = 0;

            for (int i = 1; i < ready.Count; i++)
            {
                ready[i].WakeParked();
            }

            Selection first = ready[0];
            ready.Clear();
            slots.Clear();
            RunAttended(entry, first, seen);
            if (Interlocked.Increment(ref _idleListeners) > 2)
            {
                // Enough listen already (two: one to take the next ring, one spare so that taking it starts no thread).
                Interlocked.Decrement(ref _idleListeners);
                Interlocked.Decrement(ref _listeners);
                StopAttending(seen); // this thread will not look at the bell again
                return;
            }
        }
    }

    /// <summary>
    /// Ends an idle doorbell thread when nothing of this process is parked for the doorbell (a ring is only ever for a
    /// parked async waiter): a process whose shared channels have ended, or that no longer waits on them, keeps no
    /// thread. Under the same lock as <see cref="EnsureDoorbell"/>, which starts one again for the next parked waiter.
    /// </summary>
    private bool TryEndIdleListener()
    {
        lock (_parked)
        {
            if (_parked.Count != 0)
            {
                return false;
            }

            Interlocked.Decrement(ref _idleListeners);
            Interlocked.Decrement(ref _listeners);
            return true;
        }
    }

    /// <summary>
    /// Spins until the bell moves from <paramref name="seen"/> (true) or the doorbell spin is over (false). One listener
    /// spins at a time, and only while no thread of this process runs a continuation: a spare listener spinning beside
    /// a busy one takes a core the network needs. While it spins, the process's spinner word is set and rings wake
    /// nobody; it is cleared (a full fence) before the bell is read a last time, so a ring that saw it set is seen here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SpinOnBell(int* entry, int* bell, int seen)
    {
        if (CspSpin.DoorbellTicks <= 0 || Volatile.Read(ref _idleListeners) != Volatile.Read(ref _listeners)
            || Interlocked.CompareExchange(ref _spinning, 1, 0) != 0)
        {
            return false;
        }

        int* attended = entry + (ProcessDoorbellAttendedAt / 4);
        Interlocked.Exchange(ref *attended, 1);
        try
        {
            long deadline = CspSpin.Deadline(CspSpin.DoorbellTicks);
            do
            {
                if (Volatile.Read(ref *bell) != seen)
                {
                    return true; // still attended: this thread runs what rang, and looks at the bell again after
                }
            }
            while (CspSpin.Yield(deadline));

            Interlocked.Exchange(ref *attended, 0);
        }
        finally
        {
            Volatile.Write(ref _spinning, 0);
        }

        return Volatile.Read(ref *bell) != seen;
    }

    /// <summary>
    /// Runs a waiter this doorbell thread took off the bell (<paramref name="seen"/> then) with the process's doorbell
    /// attended: a ring meanwhile wakes no spare listener, since this thread looks at the bell again when it is done
    /// (the ring's waiter then runs here, with no wake-up). The continuation may block or compute for long: then
    /// <see cref="BeforeBlocking"/> or the hand-off monitor (<see cref="CheckAttended"/>, within a tick) stops
    /// attending and wakes the spare for what rang meanwhile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunAttended(int* entry, Selection first, int seen)
    {
        Interlocked.Exchange(ref entry[ProcessDoorbellAttendedAt / 4], 1);
        long since = Stopwatch.GetTimestamp();
        Volatile.Write(ref _runningBell, seen);
        Volatile.Write(ref _runningSince, since);
        t_running = this;
        CspRunner.EnsureMonitor();
        try
        {
            first.WakeParked(inline: true);
        }
        finally
        {
            t_running = null;
            Interlocked.CompareExchange(ref _runningSince, 0, since);
        }
    }

    /// <summary>
    /// Before a doorbell thread blocks inside a waiter it runs: its process's doorbell is no longer attended, and a
    /// ring that came meanwhile wakes the spare listener now.
    /// </summary>
    public static void BeforeBlocking()
    {
        if (t_running is { } arena)
        {
            t_running = null;
            arena.StopAttending(Volatile.Read(ref arena._runningBell));
        }
    }

    /// <summary>
    /// The hand-off monitor's look, every tick: a doorbell thread that has run one waiter since the last tick (it
    /// computes, or blocks outside a channel) stops attending its process's doorbell, and a ring that came meanwhile
    /// wakes the spare listener. True while some doorbell thread runs a waiter (the monitor keeps looking).
    /// </summary>
    public static bool CheckAttended()
    {
        bool running = false;
        long now = Stopwatch.GetTimestamp();
        lock (s_gate)
        {
            foreach (CspArena arena in s_opened.Values)
            {
                long since = Volatile.Read(ref arena._runningSince);
                if (since == 0)
                {
                    continue;
                }

                running = true;
                if (now - since >= Stopwatch.Frequency / 1000)
                {
                    arena.StopAttending(Volatile.Read(ref arena._runningBell));
                }
            }
        }

        return running;
    }

    /// <summary>
    /// Clears this process's attended word (a full fence), then wakes a sleeping listener if the bell moved from
    /// <paramref name="seen"/> (a ring that found the word set woke nobody).
    /// </summary>
    private void StopAttending(int seen)
    {
        int* entry = ProcessEntry(_me);
        if (Interlocked.Exchange(ref entry[ProcessDoorbellAttendedAt / 4], 0) != 0
            && Volatile.Read(ref entry[ProcessDoorbellAt / 4]) != seen)
        {
            new WaitWord(entry + (ProcessDoorbellAt / 4), entry + (ProcessDoorbellSleepersAt / 4)).Wake(1);
        }
    }

    /// <summary>A held arena lock; disposing it releases the lock.</summary>
    public readonly ref struct Holder(int* word)
    {
        public void Dispose()
        {
            RobustLock.Exit(word);
            Released();
        }
    }
}
