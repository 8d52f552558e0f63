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
    /// Whether the thread <paramref name="threadId"/> still runs: it exists and is not a zombie (a killed
    /// process whose parent has not reaped it yet still has its main thread's entry).
    /// </summary>
    public static bool IsAlive(int threadId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        try
        {
            string stat = File.ReadAllText($"/proc/{threadId}/stat");
            int close = stat.LastIndexOf(')');
            char state = close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
            return state is not ('Z' or 'X' or 'x');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex is UnauthorizedAccessException; // exists, but not ours to read
        }
    }

    // The system call, not glibc's gettid(), which glibc has only since 2.30.
    private static readonly long GetTidSystemCall = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 186 : 178;

    [LibraryImport("libc")]
    private static partial long syscall(long number);
}
