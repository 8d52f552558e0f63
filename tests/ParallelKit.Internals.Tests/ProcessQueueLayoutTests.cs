using System;
using ParallelKit.SharedMemory;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>
/// A <see cref="ProcessQueue{T}"/> whose shared memory a broken or hostile peer has written: every position and length
/// read from it is checked before it addresses memory.
/// </summary>
public sealed class ProcessQueueLayoutTests
{
    [Fact]
    public void A_wild_read_position_fails_the_get_clearly()
    {
        using var queue = new ProcessQueue<int>();
        queue.Put(1);
        queue.Segment.Field<long>(QueueLayout.ReadPositionAt) = QueueLayout.Pack(0, 1L << 31);
        var error = Assert.Throws<InvalidOperationException>(() => queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Contains("Corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wild_write_position_fails_the_put_clearly()
    {
        using var queue = new ProcessQueue<int>();
        queue.Put(1);
        queue.Segment.Field<long>(QueueLayout.WritePositionAt) = QueueLayout.Pack(0, (1L << 32) - 8);
        var error = Assert.Throws<InvalidOperationException>(() => queue.Put(2));
        Assert.Contains("Corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wild_item_length_fails_that_get_clearly()
    {
        using var queue = new ProcessQueue<int>();
        queue.Put(1);

        // The first record's length, in the first chunk: larger than the chunk.
        string chunkName = SegmentFiles.PartName(queue.HandleName, queue.Segment.Field<int>(QueueLayout.ChunkTableAt));
        using (SharedSegment chunk = SharedSegment.Open(chunkName, SharedSegment.TypeTag("ProcessQueueChunk", typeof(int), 0), "chunk"))
        {
            chunk.Field<int>(0) = int.MaxValue - 4;
        }

        var error = Assert.Throws<InvalidOperationException>(() => queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Contains("Corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Producers_and_consumers_write_their_positions_on_separate_cache_lines()
    {
        Assert.True(QueueLayout.ReadPositionAt - QueueLayout.WritePositionAt >= 64);
        Assert.True(QueueLayout.ConsumerLockAt - QueueLayout.TakenCountAt >= 56);
        Assert.Equal(0, (SharedSegment.DataOffset + QueueLayout.ReadPositionAt) % 64);
        Assert.Equal(0, (SharedSegment.DataOffset + QueueLayout.ConsumerLockAt) % 64);
    }
}
