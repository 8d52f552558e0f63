namespace ParallelKit;

/// <summary>
/// The header of a <see cref="ProcessQueue{T}"/>'s own segment (its items live in a chain of chunk segments, see
/// <see cref="ChunkChain"/>). Positions are one 64-bit word each (chunk number &lt;&lt; 32 | offset), so that a
/// position moves in one store: a process killed between two stores cannot leave a chunk paired with another
/// chunk's offset.
/// <code>
///  offset  size      field
///    0      8        write position
///   16      8        read position
///   32      8        count of items
///   40      4        capacity (0: unbounded)
///   44      4        closed (1 once Close was called)
///   48      4        not-empty sequence  (WaitWord)    52  4  its sleepers
///   56      4        not-full sequence   (WaitWord)    60  4  its sleepers
///   64      8        standard chunk size
///   72      4        slots ever created              76  4  free slots count
///   80      4 × 64   free slots (finished chunks kept for reuse)
///  336      4 × 4096 chunk table: chunk k of the chain lives in slot table[k % 4096]
/// </code>
/// A chunk holds records: length(4), pad(4), the item's MemoryPack bytes padded to 8; a length of -1 ends the
/// chunk early (the next item did not fit).
/// </summary>
internal static class QueueLayout
{
    public const int EndOfChunk = -1;
    public const int WritePositionAt = 0;
    public const int ReadPositionAt = 16;
    public const int CountAt = 32;
    public const int CapacityAt = 40;
    public const int ClosedAt = 44;
    public const int NotEmptyAt = 48;
    public const int NotEmptyWaitersAt = 52;
    public const int NotFullAt = 56;
    public const int NotFullWaitersAt = 60;
    public const int ChunkSizeAt = 64;
    public const int SlotCountAt = 72;
    public const int FreeCountAt = 76;
    public const int FreeSlotsAt = 80;
    public const int MaxFreeSlots = 64;
    public const int ChunkTableAt = FreeSlotsAt + (MaxFreeSlots * 4);
    public const int MaxChunks = 4096;
    public const int HeaderSize = ChunkTableAt + (MaxChunks * 4);

    /// <summary>A position word: chunk number and offset in it.</summary>
    public static long Pack(long chunk, long offset) => (chunk << 32) | offset;

    /// <summary>The chunk number and offset of a position word.</summary>
    public static (long Chunk, long Offset) Unpack(long position) => (position >>> 32, position & 0xFFFF_FFFFL);

    /// <summary>A record's length rounded up to the 8-byte alignment of the next.</summary>
    public static long Align8(int length) => (length + 7L) & ~7L;
}
