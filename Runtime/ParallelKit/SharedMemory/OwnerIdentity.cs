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
    /// This process's pid namespace (the inode of <c>/proc/self/ns/pid</c>; 0 where unknown). A pid means
    /// something only in its namespace: whoever sees a name carrying another namespace's pid cannot tell whether
    /// that owner lives (containers sharing <c>/dev/shm</c> or the temp directory), and must leave its files alone.
    /// </summary>
    public static long PidNamespace { get; } = ReadPidNamespace();

    /// <summary>
    /// Whether a file named for owner <paramref name="pid"/> (started at <paramref name="startTime"/>, in pid
    /// namespace <paramref name="pidNamespace"/>) certainly belongs to a process that has ended: same namespace
    /// as this process, and no process with that pid and start time runs.
    /// </summary>
    public static bool IsCertainlyDead(int pid, long startTime, long pidNamespace)
        => pidNamespace == PidNamespace && pid != Environment.ProcessId && StartTimeOf(pid) != startTime;

    private static long ReadPidNamespace()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            // "pid:[4026531836]"
            string? link = new FileInfo("/proc/self/ns/pid").LinkTarget;
            int open = link?.IndexOf('[') ?? -1;
            return open >= 0 && long.TryParse(link.AsSpan(open + 1, link!.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out long inode) ? inode : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

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
