using System;
using System.Globalization;
using System.IO;

namespace ParallelKit.SharedMemory;

/// <summary>
/// A process named by its pid and its start time (clock ticks after boot, from <c>/proc</c>): a pid alone
/// is reused once its process has gone, the pair is not.
/// </summary>
internal static class OwnerIdentity
{
    /// <summary>This process's start time (0 where <c>/proc</c> does not exist).</summary>
    public static long StartTime { get; } = StartTimeOf(Environment.ProcessId);

    /// <summary>The start time of process <paramref name="pid"/>, or -1 when it does not run.</summary>
    public static long StartTimeOf(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long start) ? start : -1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }
}
