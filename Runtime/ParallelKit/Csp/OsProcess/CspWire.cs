using System;
using System.Buffers.Binary;

namespace ParallelKit.CspRuntime;

/// <summary>
/// The messages on the pipe between a CSP process in its own OS process (the client, which holds remote
/// ends) and the OS process that started it (the server, which holds the real ends and performs every
/// operation on them). One layout each, used by both sides; nothing else knows an offset.
/// <code>
/// request (client → server)           reply (server → client)
/// +0  int32  request id               +0  int32  request id
/// +4  byte   operation (CspOp)        +4  byte   status (CspStatus)
/// +5  int32  end index                +5  ...    payload
/// +9  ...    payload
/// </code>
/// Payloads: a value is MemoryPack bytes; <see cref="CspOp.Select"/> carries the guards
/// (mode byte, count, then per guard: kind byte, enabled byte, end index, timeout ticks, value length, value);
/// its reply carries the chosen index and, for an input guard, the value read. <see cref="CspOp.Done"/>
/// carries a <see cref="CspStatus"/> byte, then the result's bytes or the error's type, message and stack.
/// </summary>
internal static class CspWire
{
    public const int RequestIdAt = 0;
    public const int OperationAt = 4;
    public const int EndIndexAt = 5;
    public const int RequestPayloadAt = 9;

    public const int StatusAt = 4;
    public const int ReplyPayloadAt = 5;

    public static byte[] Request(int requestId, CspOp operation, int endIndex, ReadOnlySpan<byte> payload)
    {
        byte[] message = new byte[RequestPayloadAt + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(RequestIdAt), requestId);
        message[OperationAt] = (byte)operation;
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(EndIndexAt), endIndex);
        payload.CopyTo(message.AsSpan(RequestPayloadAt));
        return message;
    }

    public static byte[] Reply(int requestId, CspStatus status, ReadOnlySpan<byte> payload)
    {
        byte[] message = new byte[ReplyPayloadAt + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(RequestIdAt), requestId);
        message[StatusAt] = (byte)status;
        payload.CopyTo(message.AsSpan(ReplyPayloadAt));
        return message;
    }

    public static int RequestId(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt32LittleEndian(message[RequestIdAt..]);

    public static CspOp Operation(ReadOnlySpan<byte> message) => (CspOp)message[OperationAt];

    public static int EndIndex(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt32LittleEndian(message[EndIndexAt..]);

    public static CspStatus Status(ReadOnlySpan<byte> message) => (CspStatus)message[StatusAt];
}

/// <summary>What a client asks of the server.</summary>
internal enum CspOp : byte
{
    /// <summary>Read one value from end n; the reply carries it.</summary>
    Read = 1,

    /// <summary>Write the payload's value to end n; the reply comes when it was taken.</summary>
    Write = 2,

    /// <summary>Poison end n's channel.</summary>
    Poison = 3,

    /// <summary>Retire end n.</summary>
    Retire = 4,

    /// <summary>Run an alternation over the payload's guards.</summary>
    Select = 5,

    /// <summary>Give up the pending request whose id is the end index.</summary>
    Cancel = 6,

    /// <summary>The process's method has ended; the payload says how. The last message.</summary>
    Done = 7,
}

/// <summary>How an operation (or the process) ended.</summary>
internal enum CspStatus : byte
{
    /// <summary>Done; the payload holds the value, if any.</summary>
    Ok = 0,

    /// <summary>The channel is poisoned.</summary>
    Poisoned = 1,

    /// <summary>The channel (or end) is retired.</summary>
    Retired = 2,

    /// <summary>Another exception; the payload holds its type, message and stack trace.</summary>
    Failed = 3,

    /// <summary>The request was cancelled.</summary>
    Cancelled = 4,
}
