using System;

namespace ParallelKit;

/// <summary>
/// Thrown by an operation on a poisoned CSP channel (PyCSP's <c>ChannelPoisonException</c>): poison from
/// either end ends every pending and later read, write and alternation on the channel. A
/// <c>[CspProcess]</c> that ends with it has ended normally, and passes the poison on to the ends it was given.
/// </summary>
public sealed class ChannelPoisonedException : Exception
{
    /// <summary>
    /// In an <see cref="Alternation"/>'s selection: the guard whose channel (or end) is poisoned, so that the process can
    /// disable it (<see cref="ParallelKit.Guard.Enabled"/>) and select again between the others; <see langword="null"/>
    /// for a plain read or write.
    /// </summary>
    public Guard? Guard { get; internal set; }

    /// <summary>Creates the exception with a default message.</summary>
    public ChannelPoisonedException()
        : base("The channel is poisoned.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ChannelPoisonedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ChannelPoisonedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
