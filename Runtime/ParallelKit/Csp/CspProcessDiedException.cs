using System;

namespace ParallelKit;

/// <summary>
/// A CSP process running in its own OS process (<see cref="CspProcessCall.InOsProcess"/>) died without
/// ending its method: killed, crashed, or exited from inside. Its channel ends were poisoned, so the rest
/// of the network ended too; <see cref="Csp.Parallel(CspProcessCall[])"/> reports this, aggregated.
/// </summary>
public sealed class CspProcessDiedException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public CspProcessDiedException()
        : base("A CSP process died.")
    {
        ProcessName = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public CspProcessDiedException(string message)
        : base(message)
    {
        ProcessName = string.Empty;
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public CspProcessDiedException(string message, Exception innerException)
        : base(message, innerException)
    {
        ProcessName = string.Empty;
    }

    internal CspProcessDiedException(string processName, int pid, int exitCode)
        : base(Describe(processName, pid, exitCode))
    {
        ProcessName = processName;
        Pid = pid;
        ExitCode = exitCode;
    }

    /// <summary>The process's name (<see cref="CspProcessCall.Name"/>).</summary>
    public string ProcessName { get; }

    /// <summary>The OS process id it had.</summary>
    public int Pid { get; }

    /// <summary>Its exit code: 128 + N when killed by signal N (137: SIGKILL).</summary>
    public int ExitCode { get; }

    /// <summary>The signal that killed it, when <see cref="ExitCode"/> says one did; <see langword="null"/> otherwise.</summary>
    public int? Signal => ExitCode > 128 && ExitCode < 128 + 65 ? ExitCode - 128 : null;

    private static string Describe(string processName, int pid, int exitCode)
    {
        string how = exitCode > 128 && exitCode < 128 + 65
            ? $"was killed by signal {exitCode - 128}{(exitCode == 137 ? " (SIGKILL)" : exitCode == 143 ? " (SIGTERM)" : string.Empty)}"
            : $"exited with code {exitCode}";
        return $"The CSP process '{processName}' (pid {pid}) {how} before its method ended; its channel ends were poisoned.";
    }
}
