using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace ParallelKit.CspRuntime;

/// <summary>
/// The messages on the pipe between a CSP process in its own OS process and the OS process that started it: that
/// its method starts (status <see cref="CspStatus.Started"/>, nothing else), then how it ended, sent by the child last
/// (the channels themselves live in shared memory, see <see cref="SharedChannel"/>; the pipe is the link whose end
/// tells either side that the other is gone).
/// <code>
/// +0      byte        status (CspStatus)
/// +1      int32       n: how many of the process's ends retired in the child (explicitly, or by a process it ran)
/// +5      int32 × n   their indexes among the process's ends (CollectEnds order, the same in both processes)
/// +5+4n   ...         the result's bytes, the poison or retire message (UTF-8), or the error's name, type, message and stack
/// </code>
/// </summary>
internal static class CspWire
{
    public const int StatusAt = 0;
    public const int RetiredCountAt = 1;
    public const int RetiredAt = 5;

    public static byte[] Done(CspStatus status, IReadOnlyList<int> retired, ReadOnlySpan<byte> payload)
    {
        int payloadAt = RetiredAt + (4 * retired.Count);
        byte[] message = new byte[payloadAt + payload.Length];
        message[StatusAt] = (byte)status;
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(RetiredCountAt), retired.Count);
        for (int i = 0; i < retired.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(RetiredAt + (4 * i)), retired[i]);
        }

        payload.CopyTo(message.AsSpan(payloadAt));
        return message;
    }

    public static CspStatus Status(ReadOnlySpan<byte> message) => (CspStatus)message[StatusAt];

    public static int[] Retired(ReadOnlySpan<byte> message)
    {
        int[] retired = new int[BinaryPrimitives.ReadInt32LittleEndian(message[RetiredCountAt..])];
        for (int i = 0; i < retired.Length; i++)
        {
            retired[i] = BinaryPrimitives.ReadInt32LittleEndian(message[(RetiredAt + (4 * i))..]);
        }

        return retired;
    }

    public static byte[] Payload(ReadOnlySpan<byte> message)
        => message[(RetiredAt + (4 * BinaryPrimitives.ReadInt32LittleEndian(message[RetiredCountAt..])))..].ToArray();
}

/// <summary>How the process ended.</summary>
internal enum CspStatus : byte
{
    /// <summary>Done; the payload holds the result, if any.</summary>
    Ok = 0,

    /// <summary>A channel was poisoned.</summary>
    Poisoned = 1,

    /// <summary>A channel (or end) was retired.</summary>
    Retired = 2,

    /// <summary>Another exception; the payload holds its process name, type, message and stack trace.</summary>
    Failed = 3,

    /// <summary>Not an end: the process's method starts now (the first message).</summary>
    Started = 4,
}
