namespace ParallelKit;

/// <summary>
/// The header of a <see cref="ProcessQueue{T}"/>'s own segment (its items live in a chain of chunk segments, see
/// <see cref="ChunkChain"/>). Positions are one 64-bit word each (chunk number &lt;&lt; 32 | offset), so that a
/// position moves in one store: a process killed between two stores cannot leave a chunk paired with another
/// chunk's offset.
/// <code>
///  offset  size      field (each group on its own cache line: producers and consumers never write the same one)
///    0      8        write position            (producers, under the segment's lock)
///    8      8        items put, ever           (producers, under the segment's lock)
///   64      8        read position             (consumers, under the consumers' lock)
///   72      8        items taken, ever         (consumers, under the consumers' lock)
///  128     16        consumers' lock (RobustLock)
///  192      4        not-empty sequence  (WaitWord)    196  4  its sleepers
///  200      4        not-full sequence   (WaitWord)    204  4  its sleepers
///  208      4        not-empty armed: a consumer is about to sleep and no put has woken it yet
///  212      4        not-full armed: a producer is about to sleep and no get has woken it yet
///  256      4        capacity (0: unbounded)         260  4  closed (1 once Close was called)
///  264      4        recount needed (a producer found its lock abandoned and has not recounted yet)
///  272      8        standard chunk size
///  320      4        slots ever created              324  4  free slots count
///  328      4 × 64   free slots (finished chunks kept for reuse)
///  584      4 × 4096 chunk table: chunk k of the chain lives in slot table[k % 4096]
/// </code>
/// A chunk holds records: length(4), pad(4), the item's MemoryPack bytes padded to 8; a length of -1 ends the
/// chunk early (the next item did not fit).
/// <para>
/// Producers hold the segment's own lock, consumers the consumers' lock, so a put and a get run side by side. A
/// consumer that needs the producers' state too (a finished chunk's slot back to the free list, a recount) takes
/// the segment's lock while holding its own, never the other way round.
/// </para>
/// </summary>
internal static class QueueLayout
{
    public const int EndOfChunk = -1;
    public const int WritePositionAt = 0;
    public const int PutCountAt = 8;
    public const int ReadPositionAt = 64;
    public const int TakenCountAt = 72;
    public const int ConsumerLockAt = 128;
    public const int NotEmptyAt = 192;
    public const int NotEmptyWaitersAt = 196;
    public const int NotFullAt = 200;
    public const int NotFullWaitersAt = 204;
    public const int NotEmptyArmedAt = 208;
    public const int NotFullArmedAt = 212;
    public const int CapacityAt = 256;
    public const int ClosedAt = 260;
    public const int RecountNeededAt = 264;
    public const int ChunkSizeAt = 272;
    public const int SlotCountAt = 320;
    public const int FreeCountAt = 324;
    public const int FreeSlotsAt = 328;
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
