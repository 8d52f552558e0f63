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

    /// <summary>
    /// Whether the process <paramref name="pid"/> that started at <paramref name="startTime"/> still runs: a
    /// process that now has that pid but another start time is someone else, and a zombie has ended.
    /// </summary>
    public static bool IsAlive(int pid, long startTime)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            if (close < 0 || close + 2 >= stat.Length || stat[close + 2] is 'Z' or 'X' or 'x')
            {
                return false;
            }

            string[] fields = stat[(close + 2)..].Split(' ');
            return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long start) && start == startTime;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true; // it exists, but is not ours to read
        }
    }

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
