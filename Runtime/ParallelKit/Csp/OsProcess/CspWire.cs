using System;

namespace ParallelKit.CspRuntime;

/// <summary>
/// The one message on the pipe between a CSP process in its own OS process and the OS process that started it:
/// how the process's method ended, sent by the child last (the channels themselves live in shared memory, see
/// <see cref="SharedChannel"/>; the pipe is the link whose end tells either side that the other is gone).
/// <code>
/// +0  byte   status (CspStatus)
/// +1  ...    the result's bytes, the poison or retire message (UTF-8), or the error's name, type, message and stack
/// </code>
/// </summary>
internal static class CspWire
{
    public const int StatusAt = 0;
    public const int PayloadAt = 1;

    public static byte[] Done(CspStatus status, ReadOnlySpan<byte> payload)
    {
        byte[] message = new byte[PayloadAt + payload.Length];
        message[StatusAt] = (byte)status;
        payload.CopyTo(message.AsSpan(PayloadAt));
        return message;
    }

    public static CspStatus Status(ReadOnlySpan<byte> message) => (CspStatus)message[StatusAt];

    public static byte[] Payload(ReadOnlySpan<byte> message) => message[PayloadAt..].ToArray();
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
}
