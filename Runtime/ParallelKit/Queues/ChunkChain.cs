using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using ParallelKit.SharedMemory;
using static ParallelKit.QueueLayout;

namespace ParallelKit;

/// <summary>
/// The chain of chunk segments a <see cref="ProcessQueue{T}"/>'s items live in, and this process's mappings of
/// them. Chunk number k of the chain lives in the chunk file ("slot") the queue header's table names at
/// k % <see cref="MaxChunks"/>; a finished chunk of the standard size goes back to the free slots for reuse, so a
/// steady stream maps no new memory. <see cref="Append"/> is called holding the producers' lock (the segment's),
/// <see cref="Finish"/> holding both; this process's producers and consumers use the mappings side by side, so the
/// mappings are guarded by a process-local lock.
/// </summary>
internal sealed unsafe class ChunkChain
{
    private readonly SharedSegment _queue;
    private readonly ulong _chunkTag;
    private readonly string _what;

    // This process's mappings of the chunk files, by slot; locked, since a producer and a consumer of this process
    // use them at once.
    private readonly Dictionary<int, SharedSegment> _slots = [];

    // One-item chunks this process wrote, to unmap here once every consumer is past them (a consumer of this process
    // may still be reading the item in place until then). Under the process-local lock too.
    private readonly List<(long Index, int Slot, SharedSegment Chunk)> _written = [];

    /// <summary>The chain of the queue in <paramref name="queue"/>; its chunks carry <paramref name="chunkTag"/>.</summary>
    public ChunkChain(SharedSegment queue, ulong chunkTag, string what)
    {
        _queue = queue;
        _chunkTag = chunkTag;
        _what = what;
    }

    private byte* Header => _queue.Data;

    private int* Table => (int*)(Header + ChunkTableAt);

    /// <summary>Creates the first chunk of a new queue, of <paramref name="chunkSize"/> bytes.</summary>
    public void CreateFirst(long chunkSize)
    {
        SegmentFiles.OwnParts(_queue.Name);
        *(int*)(Header + SlotCountAt) = 1;
        lock (_slots)
        {
            (int first, SharedSegment chunk) = CreateChunkFile(chunkSize);
            Table[0] = first;
            _slots[first] = chunk;
        }
    }

    /// <summary>This process's mapping of chunk <paramref name="index"/> of the chain, opened on first use.</summary>
    public SharedSegment Chunk(long index)
    {
        lock (_slots)
        {
            return Slot(SlotOf(index));
        }
    }

    /// <summary>Links a chunk able to hold <paramref name="need"/> bytes as chunk <paramref name="index"/>: a reused one when it can.</summary>
    /// <exception cref="InvalidOperationException">The chain is at its longest.</exception>
    public SharedSegment Append(long index, long need)
    {
        if (index - Unpack(Volatile.Read(ref *(long*)(Header + ReadPositionAt))).Chunk >= MaxChunks)
        {
            throw new InvalidOperationException($"The queue holds {MaxChunks:N0} chunks of items already; consume some before putting more.");
        }

        long standard = *(long*)(Header + ChunkSizeAt);
        int* freeCount = (int*)(Header + FreeCountAt);
        lock (_slots)
        {
            // Taken from the free list and linked in one step under the process-local lock: ForgetUnused, run by a
            // consumer of this process, sees the slot either free or linked, never neither.
            int slot;
            SharedSegment chunk;
            int free = *freeCount;
            if (need <= standard && free > 0 && free <= MaxFreeSlots)
            {
                slot = ((int*)(Header + FreeSlotsAt))[free - 1];
                *freeCount = free - 1;
                chunk = Slot(slot);
            }
            else
            {
                (*(int*)(Header + SlotCountAt))++;
                (slot, chunk) = CreateChunkFile(Math.Max(standard, need));
                _slots[slot] = chunk;
            }

            Table[index % MaxChunks] = slot;
            return chunk;
        }
    }

    /// <summary>
    /// This process wrote the one item of chunk <paramref name="index"/> and moved on: the chunk is unmapped here once
    /// every consumer is past it (<see cref="ReleaseWritten"/>).
    /// </summary>
    public void Written(long index, SharedSegment chunk)
    {
        lock (_slots)
        {
            _written.Add((index, SlotOf(index), chunk));
        }
    }

    /// <summary>Unmaps, in this process, the one-item chunks it wrote that every consumer is past now (producers' lock).</summary>
    public void ReleaseWritten()
    {
        if (_written.Count == 0)
        {
            return;
        }

        long reading = Unpack(Volatile.Read(ref *(long*)(Header + ReadPositionAt))).Chunk;
        lock (_slots)
        {
            _written.RemoveAll(written =>
            {
                if (written.Index >= reading)
                {
                    return false;
                }

                if (_slots.TryGetValue(written.Slot, out SharedSegment? mapped) && ReferenceEquals(mapped, written.Chunk))
                {
                    Forget(written.Slot);
                }

                return true;
            });
        }
    }

    /// <summary>
    /// Chunk <paramref name="index"/> has been read to its end: its slot goes back for reuse, or is removed. Called
    /// holding both locks.
    /// </summary>
    public void Finish(long index)
    {
        lock (_slots)
        {
            int slot = SlotOf(index);
            int* freeCount = (int*)(Header + FreeCountAt);
            int free = *freeCount;
            if (Slot(slot).DataSize == *(long*)(Header + ChunkSizeAt) && free >= 0 && free < MaxFreeSlots)
            {
                ((int*)(Header + FreeSlotsAt))[free] = slot;
                *freeCount = free + 1;
                return;
            }

            Forget(slot);
            SegmentFiles.RemovePart(_queue.Name, slot);
        }
    }

    /// <summary>Unmaps every chunk in this process; the owner also removes their files.</summary>
    public void Dispose()
    {
        lock (_slots)
        {
            foreach (SharedSegment chunk in _slots.Values)
            {
                chunk.Dispose();
            }

            _slots.Clear();
            _written.Clear();
        }

        if (_queue.IsOwner)
        {
            SegmentFiles.RemoveParts(_queue.Name);
        }
    }

    private int SlotOf(long chunkIndex) => Table[chunkIndex % MaxChunks];

    /// <summary>This process's mapping of <paramref name="slot"/>. Caller holds the process-local lock.</summary>
    private SharedSegment Slot(int slot)
    {
        if (!_slots.TryGetValue(slot, out SharedSegment? chunk))
        {
            if (_slots.Count >= 2 * MaxFreeSlots)
            {
                ForgetUnused();
            }

            chunk = SharedSegment.Open(SegmentFiles.PartName(_queue.Name, slot), _chunkTag, _what);
            _slots[slot] = chunk;
        }

        return chunk;
    }

    /// <summary>
    /// Unmaps, in this process, the chunks no longer in the queue (neither between the read and write
    /// positions, nor the one a producer may be linking after them, nor free for reuse): other processes removed them.
    /// Caller holds the process-local lock.
    /// </summary>
    private void ForgetUnused()
    {
        var used = new HashSet<int>();
        long first = Unpack(Volatile.Read(ref *(long*)(Header + ReadPositionAt))).Chunk;
        long last = Unpack(Volatile.Read(ref *(long*)(Header + WritePositionAt))).Chunk;
        for (long chunk = first; chunk <= last + 1 && chunk - first <= MaxChunks; chunk++)
        {
            used.Add(SlotOf(chunk));
        }

        int free = Math.Clamp(*(int*)(Header + FreeCountAt), 0, MaxFreeSlots);
        for (int i = 0; i < free; i++)
        {
            used.Add(((int*)(Header + FreeSlotsAt))[i]);
        }

        foreach ((long _, int slot, SharedSegment _) in _written)
        {
            used.Add(slot); // unmapped by ReleaseWritten, when no consumer of this process can be reading it
        }

        foreach (int slot in new List<int>(_slots.Keys))
        {
            if (!used.Contains(slot))
            {
                Forget(slot);
            }
        }
    }

    /// <summary>
    /// Creates a chunk file under a new random slot number. Its name, <c>{queue}-{slot}</c>, is in a directory
    /// anyone may list and write: a sequential number would let another local user create the next names first
    /// and make every later put fail. A random one cannot be pre-empted (a name taken meanwhile, by a stranger
    /// or by a producer that died between creating a chunk and linking it, just means drawing again).
    /// </summary>
    /// <remarks>Caller holds the process-local lock.</remarks>
    private (int Slot, SharedSegment Chunk) CreateChunkFile(long size)
    {
        for (int attempt = 0; ; attempt++)
        {
            int slot = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, int.MaxValue);
            if (_slots.ContainsKey(slot))
            {
                continue;
            }

            try
            {
                return (slot, SharedSegment.CreatePart(_queue.Name, slot, size, _chunkTag));
            }
            catch (IOException) when (attempt < 8 && Path.Exists(SegmentFiles.PathOf(SegmentFiles.PartName(_queue.Name, slot))))
            {
                // Taken: draw another.
            }
        }
    }

    private void Forget(int slot)
    {
        if (_slots.Remove(slot, out SharedSegment? chunk))
        {
            chunk.Dispose();
        }
    }
}
