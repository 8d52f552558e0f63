using System;
using MemoryPack;

namespace ParallelKit.Internal;

/// <summary>
/// An exception as it crosses from a worker to the parent: job name, type name, message and the
/// exception's full text (stack traces included), marshaled as four MemoryPack strings.
/// </summary>
internal static class RemoteError
{
    public static void Write(FrameBuffer buffer, string jobName, Exception exception)
    {
        buffer.Write(jobName);
        buffer.Write(exception.GetType().FullName ?? exception.GetType().Name);
        buffer.Write(exception.Message);
        buffer.Write(exception.ToString());
    }

    public static void Write(FrameBuffer buffer, string jobName, string type, string message)
    {
        buffer.Write(jobName);
        buffer.Write(type);
        buffer.Write(message);
        buffer.Write(string.Empty);
    }

    public static JobFailedException Read(int workerId, ReadOnlySpan<byte> payload)
    {
        using var state = MemoryPackReaderOptionalStatePool.Rent(null);
        var reader = new MemoryPackReader(payload, state);
        string jobName = reader.ReadString() ?? "job";
        string type = reader.ReadString() ?? "System.Exception";
        string message = reader.ReadString() ?? string.Empty;
        string? stack = reader.ReadString();
        return new JobFailedException(jobName, workerId, type, message, string.IsNullOrEmpty(stack) ? null : stack);
    }

    public static JobFailedException FromLocal(string jobName, int workerId, Exception exception)
    {
        Exception actual = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : exception;
        return new JobFailedException(jobName, workerId, actual.GetType().FullName ?? actual.GetType().Name, actual.Message, actual.StackTrace, actual);
    }
}
