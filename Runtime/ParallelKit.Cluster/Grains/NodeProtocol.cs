using System;
using System.Buffers.Binary;

namespace ParallelKit.Cluster;

/// <summary>
/// The two records that cross between a driver and a node, each written and read only here.
/// <para>
/// A batch (driver → node), the work of one of the node's slots:
/// <code>
///  int32 count
///  count × [ int64 sequence | byte flags (bit 0: retryable) | int64 time limit in ticks (0: none) | int32 length | payload ]
/// </code>
/// where payload is a worker record exactly as a local job server sends it to a worker process (count, first map
/// index, trace parent, key and arguments per job).
/// </para>
/// <para>
/// Results (node → driver), in the batch's order:
/// <code>
///  int32 count
///  count × [ int64 sequence | byte status (<see cref="ResultStatus"/>) | int64 busy ticks | int32 length | payload ]
/// </code>
/// where payload is the worker's results for <see cref="ResultStatus.Ok"/>, an error (job name, type, message, text)
/// for <see cref="ResultStatus.Failed"/>, the time limit in ticks for <see cref="ResultStatus.TimedOut"/>, and empty
/// otherwise. All integers little-endian.
/// </para>
/// </summary>
internal static class NodeProtocol
{
    // Both records' headers have one shape: sequence, a byte (flags or status), ticks (time limit or busy time), length.
    private const int SequenceAt = 0;
    private const int FlagsOrStatusAt = 8;
    private const int TicksAt = 9;
    private const int LengthAt = 17;

    /// <summary>Bytes before each batch record's payload.</summary>
    public const int BatchRecordHeader = LengthAt + 4;

    /// <summary>Bytes before each result record's payload.</summary>
    public const int ResultRecordHeader = LengthAt + 4;

    /// <summary>The most one call carries: Orleans refuses message bodies over 100 MiB; a little is kept for its own framing.</summary>
    public const int MaxCallBytes = 96 * 1024 * 1024;

    /// <summary>The most one record (one job's arguments or result, or a map chunk) may take.</summary>
    public const int MaxRecordBytes = MaxCallBytes - 1024;

    public const byte Retryable = 1;

    /// <summary>How a record ended on its node.</summary>
    public enum ResultStatus : byte
    {
        Ok = 0,
        Failed = 1,
        Canceled = 2,
        TimedOut = 3,

        /// <summary>The node stopped (or its local job server did) before the record finished: run it elsewhere.</summary>
        Lost = 4,
    }

    /// <summary>One record of a batch, as a node reads it.</summary>
    public readonly record struct BatchRecord(long Sequence, bool IsRetryable, TimeSpan? Timeout, ReadOnlyMemory<byte> Payload);

    /// <summary>One record of a results message, as the driver reads it.</summary>
    public readonly record struct ResultRecord(long Sequence, ResultStatus Status, long BusyTicks, ReadOnlyMemory<byte> Payload);

    public static void WriteBatchRecordHeader(Span<byte> at, long sequence, bool retryable, TimeSpan? timeout, int length)
    {
        BinaryPrimitives.WriteInt64LittleEndian(at[SequenceAt..], sequence);
        at[FlagsOrStatusAt] = retryable ? Retryable : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(at[TicksAt..], timeout?.Ticks ?? 0);
        BinaryPrimitives.WriteInt32LittleEndian(at[LengthAt..], length);
    }

    public static void WriteResultRecordHeader(Span<byte> at, long sequence, ResultStatus status, long busyTicks, int length)
    {
        BinaryPrimitives.WriteInt64LittleEndian(at[SequenceAt..], sequence);
        at[FlagsOrStatusAt] = (byte)status;
        BinaryPrimitives.WriteInt64LittleEndian(at[TicksAt..], busyTicks);
        BinaryPrimitives.WriteInt32LittleEndian(at[LengthAt..], length);
    }

    /// <summary>Reads a batch; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static BatchRecord[] ReadBatch(ReadOnlyMemory<byte> message)
    {
        ReadOnlySpan<byte> span = message.Span;
        int count = ReadCount(span, BatchRecordHeader);
        var records = new BatchRecord[count];
        int offset = 4;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> header = Header(span, offset, BatchRecordHeader);
            long ticks = BinaryPrimitives.ReadInt64LittleEndian(header[TicksAt..]);
            int length = PayloadLength(span, offset, BatchRecordHeader, header[LengthAt..]);
            records[i] = new BatchRecord(
                BinaryPrimitives.ReadInt64LittleEndian(header[SequenceAt..]),
                (header[FlagsOrStatusAt] & Retryable) != 0,
                ticks > 0 ? TimeSpan.FromTicks(ticks) : null,
                message.Slice(offset + BatchRecordHeader, length));
            offset += BatchRecordHeader + length;
        }

        return records;
    }

    /// <summary>Reads a results message; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static ResultRecord[] ReadResults(ReadOnlyMemory<byte> message)
    {
        ReadOnlySpan<byte> span = message.Span;
        int count = ReadCount(span, ResultRecordHeader);
        var records = new ResultRecord[count];
        int offset = 4;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> header = Header(span, offset, ResultRecordHeader);
            int length = PayloadLength(span, offset, ResultRecordHeader, header[LengthAt..]);
            records[i] = new ResultRecord(
                BinaryPrimitives.ReadInt64LittleEndian(header[SequenceAt..]),
                (ResultStatus)header[FlagsOrStatusAt],
                BinaryPrimitives.ReadInt64LittleEndian(header[TicksAt..]),
                message.Slice(offset + ResultRecordHeader, length));
            offset += ResultRecordHeader + length;
        }

        return records;
    }

    private static int ReadCount(ReadOnlySpan<byte> span, int recordHeader)
    {
        if (span.Length < 4)
        {
            throw new FormatException("The message is shorter than its record count.");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(span);
        if (count < 0 || count > (span.Length - 4) / recordHeader)
        {
            throw new FormatException($"The message claims {count} records, more than its {span.Length} bytes can hold.");
        }

        return count;
    }

    private static ReadOnlySpan<byte> Header(ReadOnlySpan<byte> span, int offset, int size)
        => span.Length - offset >= size ? span.Slice(offset, size) : throw new FormatException("A record header runs past the end of the message.");

    private static int PayloadLength(ReadOnlySpan<byte> span, int offset, int headerSize, ReadOnlySpan<byte> lengthField)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(lengthField);
        if (length < 0 || length > span.Length - offset - headerSize)
        {
            throw new FormatException($"A record's payload of {length} bytes runs past the end of the message.");
        }

        return length;
    }
}
