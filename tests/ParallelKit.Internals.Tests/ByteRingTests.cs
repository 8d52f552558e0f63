using System;
using System.Buffers;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Ipc;
using ParallelKit.SharedMemory;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>The shared-memory byte ring that carries a worker's data frames, on its own.</summary>
public sealed class ByteRingTests
{
    private static readonly ulong Tag = SharedSegment.TypeTag("ByteRingTests", typeof(byte), 0);

    private static (SharedSegment Segment, ByteRing Producer, ByteRing Consumer) NewRing(int capacity)
    {
        SharedSegment segment = SharedSegment.Create(ByteRing.SizeFor(capacity), Tag);

        // Two views of one ring, as the two processes have: the producer's and the consumer's.
        SharedSegment other = SharedSegment.Open(segment.Name, Tag, "test ring");
        return (segment, new ByteRing(segment, 0, capacity), new ByteRing(other, 0, capacity));
    }

    [Fact]
    public async Task Frames_larger_than_the_ring_stream_through_it_whole_and_in_order()
    {
        (SharedSegment segment, ByteRing producer, ByteRing consumer) = NewRing(256);
        using (segment)
        {
            int[] sizes = [0, 1, 5, 250, 251, 256, 257, 1000, 4096, 3, 70_000, 17];
            Task writer = Task.Run(() =>
            {
                foreach (int size in sizes)
                {
                    byte[] frame = new byte[FrameHeader.Size + size];
                    FrameHeader.Write(frame, size, FrameType.Results);
                    for (int i = 0; i < size; i++)
                    {
                        frame[FrameHeader.Size + i] = (byte)(size + i);
                    }

                    Assert.True(producer.Write(frame));
                }

                producer.Close();
            });

            Task reader = Task.Run(() =>
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(16);
                try
                {
                    foreach (int size in sizes)
                    {
                        Assert.Equal(size, Wire.ReceiveFrame(new RingFrameSource(consumer), ref buffer, out FrameType type));
                        Assert.Equal(FrameType.Results, type);
                        for (int i = 0; i < size; i++)
                        {
                            Assert.Equal((byte)(size + i), buffer[i]);
                        }
                    }

                    // Closed and drained: the end of the stream.
                    Assert.Equal(-1, Wire.ReceiveFrame(new RingFrameSource(consumer), ref buffer, out _));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            });

            await Task.WhenAll(writer, reader).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void TryWrite_writes_a_frame_whole_only_when_it_fits_now_and_never_waits()
    {
        (SharedSegment segment, ByteRing producer, ByteRing consumer) = NewRing(64);
        using (segment)
        {
            byte[] forty = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
            Assert.True(producer.TryWrite(forty, out bool closed));
            Assert.False(closed);

            // 24 bytes free: a frame of 40 does not go in, not even in part, and the producer does not wait for room.
            Assert.False(producer.TryWrite(forty, out closed));
            Assert.False(closed);
            byte[] read = new byte[64];
            Assert.Equal(40, consumer.Read(read));
            Assert.Equal(forty, read[..40]);

            // Read: room again, across the end of the ring.
            Assert.True(producer.TryWrite(forty, out closed));
            Assert.Equal(40, consumer.Read(read));
            Assert.Equal(forty, read[..40]);

            consumer.Close();
            Assert.False(producer.TryWrite([1], out closed));
            Assert.True(closed);
        }
    }

    [Fact]
    public async Task Many_small_writes_against_a_slow_reader_lose_and_reorder_nothing()
    {
        (SharedSegment segment, ByteRing producer, ByteRing consumer) = NewRing(64);
        using (segment)
        {
            const int Count = 20_000;
            Task writer = Task.Run(() =>
            {
                Span<byte> value = stackalloc byte[4];
                for (int i = 0; i < Count; i++)
                {
                    BitConverter.TryWriteBytes(value, i);
                    Assert.True(producer.Write(value[..(1 + (i % 4))]));
                }
            });

            Task reader = Task.Run(() =>
            {
                Span<byte> value = stackalloc byte[4];
                for (int i = 0; i < Count; i++)
                {
                    value.Clear();
                    int length = 1 + (i % 4);
                    int read = 0;
                    while (read < length)
                    {
                        int got = consumer.Read(value[read..length]);
                        Assert.True(got > 0);
                        read += got;
                    }

                    byte[] expected = BitConverter.GetBytes(i);
                    Assert.True(value[..length].SequenceEqual(expected.AsSpan(0, length)), $"value {i}");
                    if (i % 1000 == 0)
                    {
                        Thread.Sleep(1); // the writer fills the ring and must wait for room
                    }
                }
            });

            await Task.WhenAll(writer, reader).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            Assert.False(consumer.HasData);
        }
    }

    [Fact]
    public async Task Closing_wakes_a_writer_waiting_for_room_and_a_reader_waiting_for_bytes()
    {
        (SharedSegment segment, ByteRing producer, ByteRing consumer) = NewRing(64);
        using (segment)
        {
            Assert.True(producer.Write(new byte[64])); // full
            Task<bool> blockedWrite = Task.Run(() => producer.Write(new byte[10]));
            await Task.Delay(50, TestContext.Current.CancellationToken);
            Assert.False(blockedWrite.IsCompleted);

            // What was published before the close is still read; then the end.
            consumer.Close();
            Assert.False(await blockedWrite.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
            byte[] buffer = new byte[100];
            Assert.Equal(64, consumer.Read(buffer));
            Assert.Equal(0, consumer.Read(buffer));
            Assert.False(producer.Write([1]));
        }

        (SharedSegment second, ByteRing producer2, ByteRing consumer2) = NewRing(64);
        using (second)
        {
            Task<int> blockedRead = Task.Run(() => consumer2.Read(new byte[8]));
            await Task.Delay(50, TestContext.Current.CancellationToken);
            Assert.False(blockedRead.IsCompleted);
            Assert.False(consumer2.WaitReadable(10));
            producer2.Close();
            Assert.Equal(0, await blockedRead.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
            Assert.True(consumer2.WaitReadable(0));
        }
    }

    [Fact]
    public async Task Disposing_the_segment_under_a_waiting_reader_ends_its_read_instead_of_faulting()
    {
        var capacity = 64;
        SharedSegment segment = SharedSegment.Create(ByteRing.SizeFor(capacity), Tag);
        var ring = new ByteRing(segment, 0, capacity);
        Task<int> blockedRead = Task.Run(() => ring.Read(new byte[8]));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        segment.Dispose();
        Assert.Equal(0, await blockedRead.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.False(ring.Write([1]));
        Assert.True(ring.IsClosed);
    }

    [Fact]
    public async Task A_producer_that_dies_mid_frame_leaves_a_frame_cut_short_which_reads_as_the_end_of_the_stream()
    {
        // The parent owns the segment and reads; the worker, which dies, opened it and writes (as for the results ring).
        const int Capacity = 256;
        using SharedSegment segment = SharedSegment.Create(ByteRing.SizeFor(Capacity), Tag);
        var consumer = new ByteRing(segment, 0, Capacity);
        SharedSegment producerSegment = SharedSegment.Open(segment.Name, Tag, "test ring");
        var producer = new ByteRing(producerSegment, 0, Capacity);

        // A whole frame, then the header and 40 of the 100 body bytes of the next: the rest never comes.
        byte[] whole = new byte[FrameHeader.Size + 3];
        FrameHeader.Write(whole, 3, FrameType.Results);
        Assert.True(producer.Write(whole));
        byte[] cut = new byte[FrameHeader.Size + 40];
        FrameHeader.Write(cut, 100, FrameType.Results);
        Assert.True(producer.Write(cut));

        // Large enough for either body: the reads never swap their buffer for a pooled one.
        byte[] buffer = new byte[128];
        Assert.Equal(3, Wire.ReceiveFrame(new RingFrameSource(consumer), ref buffer, out _));
        Task<int> pending = Task.Run(() => Wire.ReceiveFrame(new RingFrameSource(consumer), ref buffer, out _));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(pending.IsCompleted); // a published prefix is not a frame: the reader waits for the rest

        // The producer dies without closing the ring; whoever learns of it (the parent, from the socket's end of
        // stream) closes the ring, and the reader's frame ends cut short instead of waiting or coming back corrupt.
        producerSegment.Dispose();
        Assert.False(pending.IsCompleted);
        consumer.Close();
        Assert.Equal(-1, await pending.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(-1, Wire.ReceiveFrame(new RingFrameSource(consumer), ref buffer, out _));

        // Cut inside the header, and the ring closed before the reader comes: the end of the stream, at once.
        (SharedSegment second, ByteRing producer2, ByteRing consumer2) = NewRing(64);
        using (second)
        {
            byte[] header = new byte[FrameHeader.Size];
            FrameHeader.Write(header, 8, FrameType.Results);
            Assert.True(producer2.Write(header.AsSpan(0, FrameHeader.Size - 2)));
            consumer2.Close();
            byte[] small = new byte[8];
            Task<int> read = Task.Run(() => Wire.ReceiveFrame(new RingFrameSource(consumer2), ref small, out _));
            Assert.Equal(-1, await read.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task A_peer_that_writes_impossible_positions_ends_the_stream_and_nothing_is_read_or_written_out_of_bounds()
    {
        (SharedSegment segment, ByteRing producer, ByteRing consumer) = NewRing(64);
        using (segment)
        {
            // A producer announcing more than the ring holds: the consumer's read fails clearly and the ring closes.
            segment.Field<long>(ByteRing.PublishedAt) = 1L << 40;
            var error = Assert.Throws<InvalidOperationException>(() => consumer.Read(new byte[1 << 16]));
            Assert.Contains("Corrupt", error.Message, StringComparison.Ordinal);
            Assert.True(consumer.IsClosed);
        }

        (SharedSegment second, ByteRing producer2, ByteRing _) = NewRing(64);
        using (second)
        {
            // A consumer claiming to have taken bytes never published: the producer writes nothing and stops.
            second.Field<long>(ByteRing.TakenAt) = 1L << 40;
            Assert.False(producer2.Write(new byte[1 << 16]));
            Assert.True(producer2.IsClosed);
        }

        (SharedSegment third, ByteRing producer3, ByteRing _) = NewRing(64);
        using (third)
        {
            // A consumer moving its position back (the ring would look fuller than full): the producer neither waits
            // for room for ever nor overwrites, it stops.
            Assert.True(producer3.Write(new byte[10]));
            third.Field<long>(ByteRing.TakenAt) = -(1L << 40);
            Task<bool> write = Task.Run(() => producer3.Write(new byte[1 << 16]), TestContext.Current.CancellationToken);
            Assert.False(await write.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
            Assert.True(producer3.IsClosed);
        }
    }

    [Fact]
    public void A_ring_must_be_a_power_of_two_and_fit_its_segment()
    {
        using SharedSegment segment = SharedSegment.Create(ByteRing.SizeFor(64), Tag);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRing(segment, 0, 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRing(segment, 64, 64));
    }

    [Fact]
    public void Worker_rings_are_offered_by_name_and_opened_from_the_offer()
    {
        using WorkerRings rings = WorkerRings.Create();
        byte[] offer = rings.OfferFrame();
        Assert.Equal(offer.Length - FrameHeader.Size, FrameHeader.Read(offer, out FrameType type));
        Assert.Equal(FrameType.Rings, type);
        using WorkerRings opened = WorkerRings.Open(offer.AsSpan(FrameHeader.Size));
        Assert.True(rings.Calls.Write([1, 2, 3]));
        byte[] buffer = new byte[3];
        Assert.Equal(3, opened.Calls.Read(buffer));
        Assert.Equal([1, 2, 3], buffer);
        Assert.True(opened.Results.Write([9]));
        Assert.Equal(1, rings.Results.Read(buffer));
        Assert.Equal(9, buffer[0]);
        using SharedSegment other = SharedSegment.Create(64, Tag);
        var error = Assert.Throws<InvalidOperationException>(() => WorkerRings.Open(System.Text.Encoding.UTF8.GetBytes(other.Name)));
        Assert.Contains("does not hold", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_heartbeat_is_written_only_when_the_results_ring_has_room_and_never_waits()
    {
        // The worker's control thread sends heartbeats with TrySend: a parent that stopped reading must not block it
        // (it would never see the parent's end, and the worker would outlive it).
        using WorkerRings parentSide = WorkerRings.Create();
        using var channel = new RingWorkerChannel(WorkerRings.Open(parentSide.OfferFrame().AsSpan(FrameHeader.Size)), new IdleChannel());
        byte[] heartbeat = new byte[FrameHeader.Size];
        FrameHeader.Write(heartbeat, 0, FrameType.Heartbeat);

        channel.Send(new byte[WorkerRings.ResultsCapacity - 2]); // the parent reads none of it
        Assert.False(channel.TrySend(heartbeat));

        byte[] taken = new byte[64];
        Assert.Equal(64, parentSide.Results.Read(taken));
        Assert.True(channel.TrySend(heartbeat));

        parentSide.Close();
        Assert.Throws<System.IO.IOException>(() => channel.TrySend(heartbeat));
    }

    /// <summary>The socket a ring channel keeps idle beside it.</summary>
    private sealed class IdleChannel : WorkerChannel
    {
        public override bool HasData => false;

        public override int Receive(Span<byte> buffer) => 0;

        public override void Send(ReadOnlySpan<byte> data) => throw new InvalidOperationException("an idle channel sends nothing");

        public override bool TrySend(ReadOnlySpan<byte> frame) => throw new InvalidOperationException("an idle channel sends nothing");

        public override bool WaitReadable(int timeoutMilliseconds) => false;

        public override void ShutdownReceive()
        {
        }

        public override void Dispose()
        {
        }
    }
}
