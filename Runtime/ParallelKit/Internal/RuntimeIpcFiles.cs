using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ParallelKit.SharedMemory;

namespace ParallelKit.Internal;

/// <summary>
/// The files the .NET runtime creates in the temp directory for its debugger and diagnostics (dotnet-trace,
/// dotnet-counters, a debugger's attach): <c>clr-debug-pipe-{pid}-{key}-in</c>, <c>…-out</c> and
/// <c>dotnet-diagnostic-{pid}-{key}-socket</c>, where the key is the process's start time (clock ticks after
/// boot, as <c>/proc</c> reports it). The runtime removes them in its own shutdown, which a process leaving
/// through <c>_exit</c> or killed never runs: a single-job process removes its own just before <c>_exit</c>,
/// and a parent removes a child's once it has killed it or seen it end. Diagnostics stay on for as long as a
/// process lives; the names carry the start time, so a later process that got the same pid is never touched.
/// </summary>
internal static class RuntimeIpcFiles
{
    /// <summary>Removes this process's files: it is about to <c>_exit</c>.</summary>
    public static void RemoveOwn() => Remove(Environment.ProcessId, OwnerIdentity.StartTime);

    /// <summary>
    /// Has the files of <paramref name="child"/> (a .NET process this one started) removed once it has ended,
    /// however it ends; returns its start time (-1 when it has already gone), for <see cref="Remove"/>.
    /// </summary>
    public static long RemoveWhenExited(Process child)
    {
        int pid = child.Id;
        long started = OwnerIdentity.StartTimeOf(pid);
        if (started < 0)
        {
            return started;
        }

        child.EnableRaisingEvents = true;
        child.Exited += (_, _) => Remove(pid, started);
        if (child.HasExited)
        {
            Remove(pid, started);
        }

        return started;
    }

    /// <summary>Removes the files of process <paramref name="pid"/> that started at <paramref name="startTime"/> (which has ended, or is being killed).</summary>
    public static void Remove(int pid, long startTime)
    {
        if (!OperatingSystem.IsLinux() || startTime < 0)
        {
            return;
        }

        string directory = Path.GetTempPath();
        string id = string.Create(CultureInfo.InvariantCulture, $"{pid}-{startTime}");
        Delete(Path.Combine(directory, $"clr-debug-pipe-{id}-in"));
        Delete(Path.Combine(directory, $"clr-debug-pipe-{id}-out"));
        Delete(Path.Combine(directory, $"dotnet-diagnostic-{id}-socket"));
    }

    private static void Delete(string path)
    {
        try
        {
            File.Delete(path); // no error when it does not exist (diagnostics off)
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not ours, or the directory is gone: nothing to do.
        }
    }
}
