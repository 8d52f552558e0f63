using System;
using System.Buffers;
using System.Net.Sockets;

namespace ParallelKit.Ipc;

/// <summary>The kinds of frame on a worker's channels.</summary>
internal enum FrameType : byte
{
    /// <summary>Parent → worker (data channel): job records to run in order.</summary>
    Batch = 1,

    /// <summary>Worker → parent (data channel): results of job records, in order.</summary>
    Results = 2,

    /// <summary>Parent → worker (control channel): cancel the job record with this sequence number.</summary>
    Cancel = 3,

    /// <summary>Parent → worker (control channel): finish the current job and exit.</summary>
    Shutdown = 4,

    /// <summary>
    /// Single-job process → parent (data channel), the last thing it sends: its output is flushed and it
    /// leaves with this exit code (4-byte body) at once.
    /// </summary>
    Exiting = 5,

    /// <summary>
    /// Server worker → parent (data channel), no body: sent by the worker's control thread every heartbeat
    /// interval, whatever its jobs do. A stopped or wedged process sends none; the parent kills a busy worker
    /// it has not heard from for <see cref="JobServerOptions.HeartbeatTimeout"/>.
    /// </summary>
    Heartbeat = 6,

    /// <summary>
    /// Parent → server worker (data socket), the first frame the parent sends it: the name of the shared-memory
    /// rings (<see cref="WorkerRings"/>) that carry every later data frame, both ways. No more data frames follow
    /// on the socket, which stays open so that each side sees the other's death as its end of stream.
    /// </summary>
    Rings = 7,
}

/// <summary>The two connections a worker opens to its parent.</summary>
internal enum Channel : byte
{
    /// <summary>Jobs in, results out; read by the worker's executing thread.</summary>
    Data = 1,

    /// <summary>Cancellation and shutdown; read by a separate thread so that a running job can be interrupted.</summary>
    Control = 2,
}

/// <summary>Outcome of one job record.</summary>
internal enum RecordStatus : byte
{
    Ok = 0,
    Failed = 1,
    Canceled = 2,

    /// <summary>
    /// Part of a map chunk's results, with more to come for the same record: the results of the chunk's next
    /// items (<see cref="MapChunkResults"/>). Sent as results accumulate (every millisecond or so, and before the part would
    /// outgrow <see cref="JobServerOptions.MaxMessageSize"/>), so a worker that dies keeps what it delivered.
    /// A map chunk's final <see cref="Ok"/> payload has the same form, for the items after the last part.
    /// </summary>
    Partial = 3,
}

/// <summary>
/// Framing on the Unix domain sockets between a parent and its workers: every frame is a <see cref="FrameHeader"/>
/// (body length, <see cref="FrameType"/>), then the body; the records inside are in <see cref="BatchRecord"/>,
/// <see cref="ResultRecord"/>, <see cref="MapChunkResults"/>, <see cref="HandshakeRecord"/> and <see cref="JobPayload"/>.
/// </summary>
internal static class Wire
{
    public const uint Magic = 0x4A4B_5050; // "PPKJ"
    public const byte ProtocolVersion = 1;
    public const int TokenLength = 32;

    public const byte HandshakeAccepted = 1;
    public const byte HandshakeRejected = 0;

    /// <summary>The secret was right, but the worker runs another build of the executable than its parent.</summary>
    public const byte HandshakeRejectedOtherBuild = 2;

    /// <summary>Largest frame either side accepts; bigger announced lengths mean a corrupt stream.</summary>
    public const int MaxFrameLength = 1 << 30;

    /// <summary>Largest job arguments or result: a frame's worth, less room for headers.</summary>
    public const int MaxMessageSize = MaxFrameLength - (1 << 20);

    public static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = socket.Send(data, SocketFlags.None);
            data = data[sent..];
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; <see langword="false"/> when the peer closed first.</summary>
    public static bool ReceiveExactly<TSource>(TSource source, Span<byte> buffer)
        where TSource : IFrameSource
    {
        while (!buffer.IsEmpty)
        {
            int read = source.Receive(buffer);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    /// <summary>
    /// Reads one frame into <paramref name="buffer"/> (grown from the pool as needed).
    /// Returns the body length, or -1 when the peer closed.
    /// </summary>
    public static int ReceiveFrame<TSource>(TSource source, ref byte[] buffer, out FrameType type)
        where TSource : IFrameSource
    {
        Span<byte> header = stackalloc byte[FrameHeader.Size];
        type = default;
        if (!ReceiveExactly(source, header))
        {
            return -1;
        }

        int length = FrameHeader.Read(header, out type);
        if (length < 0 || length > MaxFrameLength)
        {
            throw new InvalidOperationException($"Corrupt ParallelKit frame: announced length {length}.");
        }

        if (buffer.Length < length)
        {
            // Rent first: if renting fails, the caller still owns (and returns) the old buffer exactly once.
            byte[] larger = ArrayPool<byte>.Shared.Rent(length);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }

        return ReceiveExactly(source, buffer.AsSpan(0, length)) ? length : -1;
    }
}
