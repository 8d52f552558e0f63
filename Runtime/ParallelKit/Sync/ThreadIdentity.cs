using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace ParallelKit.Sync;

/// <summary>
/// Kernel thread ids: unique across every process of the machine at a time, so a lock word in shared
/// memory can say which thread, of which process, holds it, and anyone can check that the holder still lives.
/// </summary>
internal static partial class ThreadIdentity
{
    [ThreadStatic]
    private static int t_current;

    [ThreadStatic]
    private static int t_startStamp;

    /// <summary>The calling thread's kernel thread id (on Linux); elsewhere a per-process managed id.</summary>
    public static int Current
    {
        get
        {
            int id = t_current;
            if (id == 0)
            {
                id = t_current = OperatingSystem.IsLinux() ? (int)syscall(GetTidSystemCall) : Environment.CurrentManagedThreadId;
            }

            return id;
        }
    }

    /// <summary>
    /// The calling thread's start stamp: its start time (clock ticks after boot) folded into a non-zero 32-bit
    /// value. A thread id is reused once its thread has gone (pid_max is often 32768); the id and the stamp
    /// together are not, so a lock word holding both still names its dead holder after the id was reused.
    /// 0 where <c>/proc</c> does not tell.
    /// </summary>
    public static int CurrentStartStamp
    {
        get
        {
            int stamp = t_startStamp;
            if (stamp == 0)
            {
                stamp = t_startStamp = StartStampOf(Environment.ProcessId, Current);
            }

            return stamp;
        }
    }

    /// <summary>
    /// Whether the thread <paramref name="threadId"/> of process <paramref name="processId"/> that started at
    /// <paramref name="startStamp"/> (see <see cref="CurrentStartStamp"/>) still runs. A thread that now has
    /// that id but another start time is someone else: the holder is dead. Without a stamp (0) or a pid (0),
    /// only the id is checked (<see cref="IsAlive(int)"/>).
    /// </summary>
    public static bool IsAlive(int processId, int threadId, int startStamp)
    {
        if (startStamp == 0 || processId == 0 || !OperatingSystem.IsLinux())
        {
            return IsAlive(threadId);
        }

        string? stat = ReadStat($"/proc/{processId}/task/{threadId}/stat", out bool unreadable);
        if (stat is null)
        {
            return unreadable;
        }

        return State(stat) is not ('Z' or 'X' or 'x') && Stamp(stat) == startStamp;
    }

    /// <summary>The start stamp of thread <paramref name="threadId"/> of <paramref name="processId"/> (0 when unknown).</summary>
    internal static int StartStampOf(int processId, int threadId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        string? stat = ReadStat($"/proc/{processId}/task/{threadId}/stat", out _);
        return stat is null ? 0 : Stamp(stat);
    }

    /// <summary>
    /// Whether the thread <paramref name="threadId"/> still runs: it exists and is not a zombie (a killed
    /// process whose parent has not reaped it yet still has its main thread's entry).
    /// </summary>
    public static bool IsAlive(int threadId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        string? stat = ReadStat($"/proc/{threadId}/stat", out bool unreadable);
        return stat is null ? unreadable : State(stat) is not ('Z' or 'X' or 'x');
    }

    private static string? ReadStat(string path, out bool unreadable)
    {
        unreadable = false;
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            unreadable = ex is UnauthorizedAccessException; // exists, but not ours to read
            return null;
        }
    }

    private static char State(string stat)
    {
        int close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
    }

    // Field 22 (starttime), counted after the command name, which may hold spaces and parentheses.
    private static int Stamp(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return 0;
        }

        ReadOnlySpan<char> rest = stat.AsSpan(close + 2);
        for (int field = 3; field < 22; field++)
        {
            int space = rest.IndexOf(' ');
            if (space < 0)
            {
                return 0;
            }

            rest = rest[(space + 1)..];
        }

        int end = rest.IndexOf(' ');
        if (!long.TryParse(end < 0 ? rest : rest[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long start))
        {
            return 0;
        }

        return (int)(start % int.MaxValue) + 1;
    }

    // The system call, not glibc's gettid(), which glibc has only since 2.30.
    private static readonly long GetTidSystemCall = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 186 : 178;

    [LibraryImport("libc")]
    private static partial long syscall(long number);
}
