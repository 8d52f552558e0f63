using System;
using System.Buffers.Binary;
using ParallelKit.Internal;

namespace ParallelKit.Ipc;

/// <summary>
/// The header of every frame on a worker's sockets, and the frames that are nothing but a header or one value.
/// <code>
///  offset  size  field
///   0       4    body length (little-endian), not counting these 5 bytes
///   4       1    FrameType
///   5       …    body
/// </code>
/// Control frames: <c>Cancel</c> (body: sequence(8)), <c>Shutdown</c> and <c>Heartbeat</c> (no body), <c>Exiting</c>
/// (body: exit code(4)).
/// </summary>
internal static class FrameHeader
{
    public const int Size = 5;
    public const int LengthAt = 0;
    public const int TypeAt = 4;

    /// <summary>The largest control frame (<see cref="FrameType.Cancel"/>).</summary>
    public const int MaxControlFrameSize = Size + 8;

    /// <summary>Starts a frame in an empty <paramref name="buffer"/>: room for the header, filled in by <see cref="End"/>.</summary>
    public static void Begin(FrameBuffer buffer)
    {
        buffer.Clear();
        buffer.Reserve(Size);
    }

    /// <summary>Fills in the header of the frame <paramref name="buffer"/> holds (begun with <see cref="Begin"/>).</summary>
    public static void End(FrameBuffer buffer, FrameType type)
    {
        buffer.PatchInt32(LengthAt, buffer.WrittenCount - Size);
        buffer.PatchByte(TypeAt, (byte)type);
    }

    /// <summary>Writes a header for a body of <paramref name="bodyLength"/> bytes.</summary>
    public static void Write(Span<byte> frame, int bodyLength, FrameType type)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame[LengthAt..], bodyLength);
        frame[TypeAt] = (byte)type;
    }

    /// <summary>Reads a header: the body length and the type.</summary>
    public static int Read(ReadOnlySpan<byte> header, out FrameType type)
    {
        type = (FrameType)header[TypeAt];
        return BinaryPrimitives.ReadInt32LittleEndian(header[LengthAt..]);
    }

    /// <summary>A frame with no body (<see cref="FrameType.Shutdown"/>, <see cref="FrameType.Heartbeat"/>), in <paramref name="frame"/> (5 bytes).</summary>
    public static ReadOnlySpan<byte> Empty(Span<byte> frame, FrameType type)
    {
        Write(frame, 0, type);
        return frame[..Size];
    }

    /// <summary>A <see cref="FrameType.Cancel"/> frame for the record <paramref name="sequence"/>, in <paramref name="frame"/> (13 bytes).</summary>
    public static ReadOnlySpan<byte> Cancel(Span<byte> frame, long sequence)
    {
        Write(frame, 8, FrameType.Cancel);
        BinaryPrimitives.WriteInt64LittleEndian(frame[Size..], sequence);
        return frame[..(Size + 8)];
    }

    /// <summary>The sequence a <see cref="FrameType.Cancel"/> body names; false when the body is too short.</summary>
    public static bool TryReadCancel(ReadOnlySpan<byte> body, out long sequence)
    {
        sequence = body.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(body) : 0;
        return body.Length >= 8;
    }

    /// <summary>An <see cref="FrameType.Exiting"/> frame with <paramref name="exitCode"/>, in <paramref name="frame"/> (9 bytes).</summary>
    public static ReadOnlySpan<byte> Exiting(Span<byte> frame, int exitCode)
    {
        Write(frame, 4, FrameType.Exiting);
        BinaryPrimitives.WriteInt32LittleEndian(frame[Size..], exitCode);
        return frame[..(Size + 4)];
    }

    /// <summary>The exit code an <see cref="FrameType.Exiting"/> body carries; false when the body is too short.</summary>
    public static bool TryReadExiting(ReadOnlySpan<byte> body, out int exitCode)
    {
        exitCode = body.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(body) : 0;
        return body.Length >= 4;
    }
}

/// <summary>
/// The body of a <see cref="FrameType.Batch"/> frame (parent → worker): job records to run in order.
/// <code>
///  count(4), then count × record:
///   offset  size  field
///    0       8    sequence (the parent's number for the record; results and cancels name it)
///    8       4    payload length
///   12       …    payload (a JobPayload: one job, or a chunk of a map)
/// </code>
/// </summary>
internal static class BatchRecord
{
    public const int SequenceAt = 0;
    public const int LengthAt = 8;
    public const int HeaderSize = 12;

    /// <summary>Starts a batch frame in <paramref name="buffer"/>; returns where its count goes.</summary>
    public static int BeginBatch(FrameBuffer buffer)
    {
        FrameHeader.Begin(buffer);
        return buffer.Reserve(4);
    }

    /// <summary>Starts record <paramref name="sequence"/>; returns where its length goes (for <see cref="EndRecord"/>).</summary>
    public static int BeginRecord(FrameBuffer buffer, long sequence)
    {
        buffer.WriteInt64(sequence);
        return buffer.Reserve(4);
    }

    /// <summary>Fills in the length of the record whose payload ends here.</summary>
    public static void EndRecord(FrameBuffer buffer, int lengthAt) => buffer.PatchInt32(lengthAt, buffer.WrittenCount - lengthAt - 4);

    /// <summary>Fills in the count and the frame header.</summary>
    public static void EndBatch(FrameBuffer buffer, int countAt, int count)
    {
        buffer.PatchInt32(countAt, count);
        FrameHeader.End(buffer, FrameType.Batch);
    }

    /// <summary>Reads a batch body record by record.</summary>
    public ref struct Reader
    {
        private RecordCursor _cursor;

        public Reader(ReadOnlySpan<byte> body) => _cursor = new RecordCursor(body);

        /// <summary>How many records the batch holds.</summary>
        public readonly int Count => _cursor.Count;

        /// <summary>The next record; false at the end or where the body is cut short.</summary>
        public bool TryNext(out long sequence, out ReadOnlySpan<byte> payload)
        {
            bool read = _cursor.TryNext(HeaderSize, LengthAt, out ReadOnlySpan<byte> header, out payload);
            sequence = read ? BinaryPrimitives.ReadInt64LittleEndian(header[SequenceAt..]) : 0;
            return read;
        }
    }
}

/// <summary>
/// The body of a <see cref="FrameType.Results"/> frame (worker → parent): results of job records, in order.
/// <code>
///  count(4), then count × record:
///   offset  size  field
///    0       8    sequence of the job record
///    8       1    RecordStatus
///    9       8    time the job took, in TimeSpan ticks (100 ns)
///   17       4    payload length
///   21       …    payload (the result, the error, or a map chunk's part)
/// </code>
/// </summary>
internal static class ResultRecord
{
    public const int SequenceAt = 0;
    public const int StatusAt = 8;
    public const int ElapsedAt = 9;
    public const int LengthAt = 17;
    public const int HeaderSize = 21;

    /// <summary>Starts a results frame in <paramref name="buffer"/>; returns where its count goes.</summary>
    public static int BeginResults(FrameBuffer buffer)
    {
        FrameHeader.Begin(buffer);
        return buffer.Reserve(4);
    }

    /// <summary>Fills in the count and the frame header.</summary>
    public static void EndResults(FrameBuffer buffer, int countAt, int count)
    {
        buffer.PatchInt32(countAt, count);
        FrameHeader.End(buffer, FrameType.Results);
    }

    /// <summary>Starts the result of record <paramref name="sequence"/>: its fields are filled in by <see cref="End"/>.</summary>
    public static int Begin(FrameBuffer buffer, long sequence)
    {
        int at = buffer.WrittenCount;
        buffer.WriteInt64(sequence);
        buffer.Reserve(HeaderSize - 8);
        return at;
    }

    /// <summary>Fills in the status, time and length of the result begun at <paramref name="recordAt"/>, whose payload ends here.</summary>
    public static void End(FrameBuffer buffer, int recordAt, RecordStatus status, long elapsedTicks)
    {
        buffer.PatchByte(recordAt + StatusAt, (byte)status);
        buffer.PatchInt64(recordAt + ElapsedAt, elapsedTicks);
        buffer.PatchInt32(recordAt + LengthAt, buffer.WrittenCount - recordAt - HeaderSize);
    }

    /// <summary>Reads a results body record by record.</summary>
    public ref struct Reader
    {
        private RecordCursor _cursor;

        public Reader(ReadOnlySpan<byte> body) => _cursor = new RecordCursor(body);

        /// <summary>Whether the body has a count at all.</summary>
        public readonly bool IsValid => _cursor.HasCount;

        /// <summary>How many results the frame holds.</summary>
        public readonly int Count => _cursor.Count;

        /// <summary>The next result; false where the body is cut short or a length is impossible (a protocol violation).</summary>
        public bool TryNext(out long sequence, out RecordStatus status, out long elapsedTicks, out ReadOnlySpan<byte> payload)
        {
            if (!_cursor.TryNext(HeaderSize, LengthAt, out ReadOnlySpan<byte> header, out payload))
            {
                sequence = 0;
                status = default;
                elapsedTicks = 0;
                return false;
            }

            sequence = BinaryPrimitives.ReadInt64LittleEndian(header[SequenceAt..]);
            status = (RecordStatus)header[StatusAt];
            elapsedTicks = BinaryPrimitives.ReadInt64LittleEndian(header[ElapsedAt..]);
            return true;
        }
    }
}

/// <summary>
/// The payload of a map chunk's <see cref="ResultRecord"/>: a <see cref="RecordStatus.Partial"/> part, or the chunk's
/// final <see cref="RecordStatus.Ok"/> result, each holding the results of the chunk's next items.
/// <code>
///  offset  size  field
///   0       4    count: how many items' results follow
///   4       …    count results (MemoryPack, one after another)
/// </code>
/// </summary>
internal static class MapChunkResults
{
    /// <summary>Where the count of results is.</summary>
    public const int CountAt = 0;

    /// <summary>The bytes before the results: where the first one starts.</summary>
    public const int HeaderSize = 4;

    /// <summary>Starts a part in <paramref name="buffer"/>; returns where it begins (for <see cref="End"/>). The results follow.</summary>
    public static int Begin(FrameBuffer buffer) => buffer.Reserve(HeaderSize);

    /// <summary>Fills in the count of the part begun at <paramref name="partAt"/>.</summary>
    public static void End(FrameBuffer buffer, int partAt, int count) => buffer.PatchInt32(partAt + CountAt, count);

    /// <summary>Writes the header of a part of <paramref name="count"/> results into <paramref name="part"/> (<see cref="HeaderSize"/> bytes).</summary>
    public static void WriteHeader(Span<byte> part, int count) => BinaryPrimitives.WriteInt32LittleEndian(part[CountAt..], count);

    /// <summary>Reads a part: its count and its results; false when it is too short for a count.</summary>
    public static bool TryRead(ReadOnlySpan<byte> part, out int count, out ReadOnlySpan<byte> results)
    {
        if (part.Length < HeaderSize)
        {
            count = 0;
            results = default;
            return false;
        }

        count = BinaryPrimitives.ReadInt32LittleEndian(part[CountAt..]);
        results = part[HeaderSize..];
        return true;
    }
}

/// <summary>
/// Walks a body of <c>count(4)</c> then records of a fixed-size header (holding the payload's length) and a payload,
/// refusing a record that runs past the body.
/// </summary>
internal ref struct RecordCursor
{
    private readonly ReadOnlySpan<byte> _body;
    private int _offset;

    public RecordCursor(ReadOnlySpan<byte> body)
    {
        _body = body;
        HasCount = body.Length >= 4;
        Count = HasCount ? BinaryPrimitives.ReadInt32LittleEndian(body) : 0;
        _offset = 4;
    }

    /// <summary>Whether the body is long enough for its count.</summary>
    public bool HasCount { get; }

    /// <summary>The count the body starts with.</summary>
    public int Count { get; }

    /// <summary>The next record's header and payload; false where either would run past the body.</summary>
    public bool TryNext(int headerSize, int lengthAt, out ReadOnlySpan<byte> header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        if (_body.Length - _offset < headerSize)
        {
            return false;
        }

        ReadOnlySpan<byte> record = _body[_offset..];
        int length = BinaryPrimitives.ReadInt32LittleEndian(record[lengthAt..]);
        if (length < 0 || length > record.Length - headerSize)
        {
            return false;
        }

        header = record[..headerSize];
        payload = record.Slice(headerSize, length);
        _offset += headerSize + length;
        return true;
    }
}

/// <summary>
/// The first bytes a worker sends on each of its two connections; the parent answers one byte
/// (<see cref="Wire.HandshakeAccepted"/>, <see cref="Wire.HandshakeRejected"/>, <see cref="Wire.HandshakeRejectedOtherBuild"/>).
/// <code>
///  offset  size  field
///   0       4    magic "PPKJ"
///   4       1    protocol version
///   5      32    token (the parent's secret for this worker)
///  37       4    worker id
///  41       1    Channel
///  42       4    the worker's pid
///  46      16    module version id of the worker's entry assembly (its build)
/// </code>
/// </summary>
internal readonly record struct HandshakeRecord(int WorkerId, Channel Channel, int ProcessId, Guid ModuleVersionId)
{
    public const int MagicAt = 0;
    public const int VersionAt = 4;
    public const int TokenAt = 5;
    public const int WorkerIdAt = TokenAt + Wire.TokenLength;
    public const int ChannelAt = WorkerIdAt + 4;
    public const int ProcessIdAt = ChannelAt + 1;
    public const int ModuleVersionIdAt = ProcessIdAt + 4;
    public const int Size = ModuleVersionIdAt + 16;

    /// <summary>Writes the handshake, with <paramref name="token"/>, into <paramref name="hello"/> (<see cref="Size"/> bytes).</summary>
    public void Write(Span<byte> hello, ReadOnlySpan<byte> token)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(hello[MagicAt..], Wire.Magic);
        hello[VersionAt] = Wire.ProtocolVersion;
        token.CopyTo(hello.Slice(TokenAt, Wire.TokenLength));
        BinaryPrimitives.WriteInt32LittleEndian(hello[WorkerIdAt..], WorkerId);
        hello[ChannelAt] = (byte)Channel;
        BinaryPrimitives.WriteInt32LittleEndian(hello[ProcessIdAt..], ProcessId);
        ModuleVersionId.TryWriteBytes(hello.Slice(ModuleVersionIdAt, 16));
    }

    /// <summary>
    /// Reads a handshake of <see cref="Size"/> bytes: its fields, and whether magic, version and token are right
    /// (the token compared in constant time).
    /// </summary>
    public static HandshakeRecord Read(ReadOnlySpan<byte> hello, ReadOnlySpan<byte> token, out bool authentic)
    {
        authentic = BinaryPrimitives.ReadUInt32LittleEndian(hello[MagicAt..]) == Wire.Magic
            && hello[VersionAt] == Wire.ProtocolVersion
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(hello.Slice(TokenAt, Wire.TokenLength), token);
        return new HandshakeRecord(
            BinaryPrimitives.ReadInt32LittleEndian(hello[WorkerIdAt..]),
            (Channel)hello[ChannelAt],
            BinaryPrimitives.ReadInt32LittleEndian(hello[ProcessIdAt..]),
            new Guid(hello.Slice(ModuleVersionIdAt, 16)));
    }
}

/// <summary>
/// The payload of a <see cref="BatchRecord"/>: one job, or a chunk of a map, each job a key and its arguments.
/// <code>
///  offset  size  field
///   0       4    number of jobs
///   4       4    index of the first job in its map; -1 for a job that is not part of a map
///   8       …    trace parent (a MemoryPack string; null without a trace)
///   …       …    per job: key(8) then its arguments (MemoryPack)
/// </code>
/// </summary>
internal static class JobPayload
{
    public const int JobsAt = 0;

    /// <summary>The first map index of a job that is not part of a map.</summary>
    public const int NotAMap = -1;

    /// <summary>Writes the header of a payload of <paramref name="jobs"/> jobs.</summary>
    public static void WriteHeader(FrameBuffer frame, int jobs, int firstMapIndex, string? traceParent)
    {
        frame.WriteInt32(jobs);
        frame.WriteInt32(firstMapIndex);
        frame.Write(traceParent);
    }

    /// <summary>Writes the header of a payload of <paramref name="jobs"/> jobs (a map chunk's, whose count may be patched at <see cref="JobsAt"/>).</summary>
    public static void WriteHeader(ref JobWriter writer, int jobs, int firstMapIndex, string? traceParent)
    {
        writer.Write(jobs);
        writer.Write(firstMapIndex);
        writer.Write(traceParent);
    }

    /// <summary>The number of jobs a payload holds, read without decoding it (at least 1; 1 for a payload too short to say).</summary>
    public static int JobCount(ReadOnlySpan<byte> payload)
        => payload.Length >= JobsAt + 4 ? Math.Max(1, BinaryPrimitives.ReadInt32LittleEndian(payload[JobsAt..])) : 1;

    /// <summary>Reads the header; the reader is then at the first job's key.</summary>
    public static void ReadHeader(ref JobReader reader, out int jobs, out int firstMapIndex, out string? traceParent)
    {
        jobs = reader.Read<int>();
        firstMapIndex = reader.Read<int>();
        traceParent = reader.Read<string?>();
    }
}
