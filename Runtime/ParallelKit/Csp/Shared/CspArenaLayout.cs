namespace ParallelKit.CspRuntime;

/// <summary>
/// The layout of a <see cref="CspArena"/>'s data (after the segment header, whose robust lock is the arena's
/// lock). Every index is 1-based, so that the zeroed segment reads as empty lists; free records link through their
/// first word. Nothing else knows an offset.
/// <code>
///  offset        size            field
///       0        4               process entries used (an entry of a dead process is reused once all were used)
///       4        4               channel records used
///      12        4 + 4           free slot list head, slots ever used
///      20        4 + 4           free offer list head, offers ever used
///      28        4 + 4           free cell list head, cells ever used
///      36        4               cells in use
///      64        32 × 256        processes (entry 0 unused): pid(4), doorbell sequence(4, its doorbell threads' futex),
///                                start time(8), doorbell sleepers(4: a ring makes a system call only when one sleeps),
///                                dead(4: set when the process was reaped and what it owned reclaimed),
///                                doorbell spinner(4: 1 while a doorbell thread spins on the bell; a ring then makes no system call)
///    8256        64 × 1024       channels (see ChannelLayout)
///   73792        16 × 4096       slots: claim(4), state(4, the waiter's futex), owner process(4), failed guard(4)
///  139328        32 × 8192       offers: next(4), previous(4), channel(4), slot(4), guard(4), list(4), value(4)
///  401472        256 × 16384     cells: next cell(4), value length(4), next buffered value(4), 244 bytes of value
///  4595776                       end: 4.4 MiB, reserved in /dev/shm when the first channel is promoted
/// </code>
/// A value in flight (buffered, or held by a waiting writer's offer) is a chain of cells; the first holds its
/// length and, while buffered, the link to the next buffered value.
/// </summary>
internal static class CspArenaLayout
{
    public const int ProcessCountAt = 0;
    public const int ChannelCountAt = 4;
    public const int FreeSlotAt = 12;
    public const int SlotBumpAt = 16;
    public const int FreeOfferAt = 20;
    public const int OfferBumpAt = 24;
    public const int FreeCellAt = 28;
    public const int CellBumpAt = 32;
    public const int CellsInUseAt = 36;

    public const int ProcessesAt = 64;
    public const int MaxProcesses = 255; // entry 0 unused: process indexes are 1-based
    public const int ProcessSize = 32;
    public const int ProcessPidAt = 0;
    public const int ProcessDoorbellAt = 4;
    public const int ProcessStartTimeAt = 8;
    public const int ProcessDoorbellSleepersAt = 16;
    public const int ProcessDeadAt = 20;
    public const int ProcessDoorbellAttendedAt = 24;

    public const int ChannelsAt = ProcessesAt + ((MaxProcesses + 1) * ProcessSize);
    public const int MaxChannels = 1024;
    public const int ChannelSize = 64;

    public const int SlotsAt = ChannelsAt + (MaxChannels * ChannelSize);
    public const int MaxSlots = 4096;
    public const int SlotSize = 16;
    public const int SlotClaimAt = 0;
    public const int SlotStateAt = 4;
    public const int SlotOwnerAt = 8;
    public const int SlotFailedGuardAt = 12;

    public const int OffersAt = SlotsAt + (MaxSlots * SlotSize);
    public const int MaxOffers = 8192;
    public const int OfferSize = 32;
    public const int OfferNextAt = 0;
    public const int OfferPreviousAt = 4;
    public const int OfferChannelAt = 8;
    public const int OfferSlotAt = 12;
    public const int OfferGuardAt = 16;
    public const int OfferListAt = 20;
    public const int OfferValueAt = 24;

    public const int CellsAt = OffersAt + (MaxOffers * OfferSize);
    public const int MaxCells = 16384;
    public const int CellSize = 256;
    public const int CellNextAt = 0;
    public const int CellLengthAt = 4;
    public const int CellNextValueAt = 8;
    public const int CellPayloadAt = 12;
    public const int CellPayload = CellSize - CellPayloadAt;

    /// <summary>Cells a value of more than one cell leaves free: kept for values of one cell (small ones, and the names of values kept apart).</summary>
    public const int CellsKeptForSingleCellValues = 4096;

    public const int DataSize = CellsAt + (MaxCells * CellSize);

    /// <summary>The words of one channel record.</summary>
    /// <remarks>
    /// <code>
    ///  0 state (ChannelState)   4 live reader ends   8 live writer ends   12 capacity   16 buffered count
    /// 20 first buffered value  24 last buffered value
    /// 28 first waiting reader  32 last waiting reader   36 first waiting writer   40 last waiting writer
    /// 44 generation (moved on when an ended channel's record is reused: views of the old channel see it retired)
    /// 48 writes taken in flight (a reader took the value of a waiting writer in another OS process; that writer has
    ///    not yet withdrawn its offer)
    /// 52 such writes taken, ever (moves on with each)
    /// 56 reads given in flight (a writer gave a value to a waiting reader in another OS process; that reader has not
    ///    yet withdrawn its offer)   60 such reads given, ever
    /// </code>
    /// </remarks>
    public static class ChannelLayout
    {
        public const int StateAt = 0;
        public const int LiveReadersAt = 4;
        public const int LiveWritersAt = 8;
        public const int CapacityAt = 12;
        public const int CountAt = 16;
        public const int BufferHeadAt = 20;
        public const int BufferTailAt = 24;
        public const int ReadersHeadAt = 28;
        public const int ReadersTailAt = 32;
        public const int WritersHeadAt = 36;
        public const int WritersTailAt = 40;
        public const int GenerationAt = 44;
        public const int TakenInFlightAt = 48;
        public const int TakenEverAt = 52;
        public const int GivenInFlightAt = 56;
        public const int GivenEverAt = 60;
    }
}
