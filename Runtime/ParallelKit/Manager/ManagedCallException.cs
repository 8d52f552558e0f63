using System;

namespace ParallelKit;

/// <summary>
/// A method of a <see cref="ManagedTypeAttribute">[ManagedType]</see> object threw in the manager process (or its
/// constructor did): the remote exception's type, message and stack trace. The object stays in the manager, as it
/// was when the method threw.
/// </summary>
public sealed class ManagedCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="member">The type and member that threw, e.g. <c>Account.Withdraw</c>.</param>
    /// <param name="remoteType">The full name of the exception's type in the manager.</param>
    /// <param name="remoteMessage">Its message.</param>
    /// <param name="remoteStackTrace">Its stack trace in the manager, if any.</param>
    public ManagedCallException(string member, string remoteType, string remoteMessage, string? remoteStackTrace)
        : base($"{member} threw {remoteType} in the ProcessManager's process: {remoteMessage}")
    {
        Member = member;
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The type and member that threw.</summary>
    public string Member { get; }

    /// <summary>The full name of the exception's type in the manager, e.g. <c>System.InvalidOperationException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>The exception's message in the manager.</summary>
    public string RemoteMessage { get; }

    /// <summary>The exception's stack trace in the manager.</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString()
        => RemoteStackTrace is null ? base.ToString() : $"{base.ToString()}{Environment.NewLine}--- in the manager process ---{Environment.NewLine}{RemoteStackTrace}";
}
