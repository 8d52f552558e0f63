using System;
using ParallelKit.Internal;
using ParallelKit.Ipc;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>Each record of the parent ↔ worker wire, written and read back through its one codec.</summary>
public sealed class WireRecordTests
{
    [Fact]
    public void Control_frames_carry_their_type_length_and_value()
    {
        Span<byte> buffer = stackalloc byte[FrameHeader.MaxControlFrameSize];
        ReadOnlySpan<byte> cancel = FrameHeader.Cancel(buffer, 0x0102_0304_0506_0708);
        Assert.Equal(FrameHeader.Size + 8, cancel.Length);
        Assert.Equal(8, FrameHeader.Read(cancel, out FrameType type));
        Assert.Equal(FrameType.Cancel, type);
        Assert.True(FrameHeader.TryReadCancel(cancel[FrameHeader.Size..], out long sequence));
        Assert.Equal(0x0102_0304_0506_0708, sequence);
        Assert.False(FrameHeader.TryReadCancel(cancel[FrameHeader.Size..^1], out _));

        ReadOnlySpan<byte> exiting = FrameHeader.Exiting(buffer, -7);
        Assert.Equal(4, FrameHeader.Read(exiting, out type));
        Assert.Equal(FrameType.Exiting, type);
        Assert.True(FrameHeader.TryReadExiting(exiting[FrameHeader.Size..], out int exitCode));
        Assert.Equal(-7, exitCode);

        ReadOnlySpan<byte> heartbeat = FrameHeader.Empty(buffer, FrameType.Heartbeat);
        Assert.Equal(FrameHeader.Size, heartbeat.Length);
        Assert.Equal(0, FrameHeader.Read(heartbeat, out type));
        Assert.Equal(FrameType.Heartbeat, type);
    }

    [Fact]
    public void A_batch_frame_reads_back_record_by_record_and_a_cut_one_stops_reading()
    {
        using var frame = new FrameBuffer();
        int countAt = BatchRecord.BeginBatch(frame);
        int first = BatchRecord.BeginRecord(frame, 41);
        frame.WriteBytes([1, 2, 3]);
        BatchRecord.EndRecord(frame, first);
        int second = BatchRecord.BeginRecord(frame, 42);
        BatchRecord.EndRecord(frame, second);
        BatchRecord.EndBatch(frame, countAt, 2);

        ReadOnlySpan<byte> written = frame.WrittenSpan;
        Assert.Equal(written.Length - FrameHeader.Size, FrameHeader.Read(written, out FrameType type));
        Assert.Equal(FrameType.Batch, type);
        var reader = new BatchRecord.Reader(written[FrameHeader.Size..]);
        Assert.Equal(2, reader.Count);
        Assert.True(reader.TryNext(out long sequence, out ReadOnlySpan<byte> payload));
        Assert.Equal(41, sequence);
        Assert.Equal([1, 2, 3], payload.ToArray());
        Assert.True(reader.TryNext(out sequence, out payload));
        Assert.Equal(42, sequence);
        Assert.True(payload.IsEmpty);
        Assert.False(reader.TryNext(out _, out _));

        var cut = new BatchRecord.Reader(written[FrameHeader.Size..^(BatchRecord.HeaderSize + 1)]);
        Assert.False(cut.TryNext(out _, out _)); // the first record's payload runs past the end
    }

    [Fact]
    public void A_results_frame_reads_back_with_status_and_time_and_an_impossible_length_is_refused()
    {
        using var frame = new FrameBuffer();
        int countAt = ResultRecord.BeginResults(frame);
        int at = ResultRecord.Begin(frame, 7);
        frame.WriteBytes([9, 8]);
        ResultRecord.End(frame, at, RecordStatus.Partial, elapsedTicks: 12345);
        at = ResultRecord.Begin(frame, 8);
        ResultRecord.End(frame, at, RecordStatus.Failed, elapsedTicks: 1);
        ResultRecord.EndResults(frame, countAt, 2);

        ReadOnlySpan<byte> written = frame.WrittenSpan;
        Assert.Equal(written.Length - FrameHeader.Size, FrameHeader.Read(written, out FrameType type));
        Assert.Equal(FrameType.Results, type);
        var reader = new ResultRecord.Reader(written[FrameHeader.Size..]);
        Assert.True(reader.IsValid);
        Assert.Equal(2, reader.Count);
        Assert.True(reader.TryNext(out long sequence, out RecordStatus status, out long elapsed, out ReadOnlySpan<byte> payload));
        Assert.Equal((7L, RecordStatus.Partial, 12345L), (sequence, status, elapsed));
        Assert.Equal([9, 8], payload.ToArray());
        Assert.True(reader.TryNext(out sequence, out status, out _, out payload));
        Assert.Equal((8L, RecordStatus.Failed, 0), (sequence, status, payload.Length));

        byte[] corrupt = written[FrameHeader.Size..].ToArray();
        corrupt[4 + ResultRecord.LengthAt] = 0xFF; // a first payload longer than the frame
        var refused = new ResultRecord.Reader(corrupt);
        Assert.False(refused.TryNext(out _, out _, out _, out _));
        Assert.False(new ResultRecord.Reader([1, 0]).IsValid);
    }

    [Fact]
    public void A_map_chunk_part_reads_back_its_count_and_results_and_a_cut_one_is_refused()
    {
        using var frame = new FrameBuffer();
        frame.WriteBytes([0xAA]); // a part starts wherever its result record's payload does
        int partAt = MapChunkResults.Begin(frame);
        frame.WriteBytes([1, 2, 3, 4, 5]);
        MapChunkResults.End(frame, partAt, count: 2);

        Assert.True(MapChunkResults.TryRead(frame.WrittenSpan[partAt..], out int count, out ReadOnlySpan<byte> results));
        Assert.Equal(2, count);
        Assert.Equal([1, 2, 3, 4, 5], results.ToArray());

        byte[] written = new byte[MapChunkResults.HeaderSize];
        MapChunkResults.WriteHeader(written, 0);
        Assert.True(MapChunkResults.TryRead(written, out count, out results));
        Assert.Equal(0, count);
        Assert.True(results.IsEmpty);

        Assert.False(MapChunkResults.TryRead(written.AsSpan(0, MapChunkResults.HeaderSize - 1), out _, out _));
    }

    [Fact]
    public void A_handshake_reads_back_and_is_authentic_only_with_the_same_token()
    {
        byte[] token = new byte[Wire.TokenLength];
        token[0] = 5;
        var sent = new HandshakeRecord(WorkerId: 3, Channel.Control, ProcessId: 4242, Guid.NewGuid());
        byte[] hello = new byte[HandshakeRecord.Size];
        sent.Write(hello, token);

        HandshakeRecord received = HandshakeRecord.Read(hello, token, out bool authentic);
        Assert.True(authentic);
        Assert.Equal(sent, received);

        byte[] other = new byte[Wire.TokenLength];
        HandshakeRecord.Read(hello, other, out authentic);
        Assert.False(authentic);

        hello[HandshakeRecord.VersionAt]++;
        HandshakeRecord.Read(hello, token, out authentic);
        Assert.False(authentic);
    }

    [Fact]
    public void A_job_payload_header_reads_back_before_its_jobs()
    {
        using var frame = new FrameBuffer();
        JobPayload.WriteHeader(frame, jobs: 3, firstMapIndex: 10, traceParent: "00-trace-span-01");
        frame.WriteInt64(99); // the first job's key follows the header
        var reader = new JobReader(frame.WrittenSpan);
        try
        {
            JobPayload.ReadHeader(ref reader, out int jobs, out int firstMapIndex, out string? traceParent);
            Assert.Equal((3, 10, "00-trace-span-01"), (jobs, firstMapIndex, traceParent));
            Assert.Equal(99UL, reader.Read<ulong>());
        }
        finally
        {
            reader.Dispose();
        }

        // Counted without decoding (a cluster node relaying the payload does so); a payload too short to say is one job.
        Assert.Equal(3, JobPayload.JobCount(frame.WrittenSpan));
        Assert.Equal(1, JobPayload.JobCount(frame.WrittenSpan[..3]));
    }
}
