using System;

namespace ParallelKit;

/// <summary>
/// Thrown by an operation on a retired CSP channel end, or on a channel whose other side has retired
/// every end (PyCSP's <c>ChannelRetireException</c>): readers get it once the buffer is drained, so no
/// message written before the retire is lost. A <c>[CspProcess]</c> that ends with it has ended normally,
/// and retires the ends it was given.
/// </summary>
public sealed class ChannelRetiredException : Exception
{
    /// <summary>
    /// In an <see cref="Alternation"/>'s selection: the guard whose channel (or end) is retired, so that the process can
    /// disable it (<see cref="ParallelKit.Guard.Enabled"/>) and select again between the others; <see langword="null"/>
    /// for a plain read or write.
    /// </summary>
    public Guard? Guard { get; internal set; }

    /// <summary>Creates the exception with a default message.</summary>
    public ChannelRetiredException()
        : base("The channel is retired.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ChannelRetiredException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ChannelRetiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
