using System;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Processes;

/// <summary>
/// One process started ahead of need and connected, waiting for a job (like Python's forkserver, but a
/// ready process rather than a fork): <see cref="ParallelProcess.Start(JobCall)"/> takes it and a new one starts
/// in the background. It dies with this process (its control channel closes) and is killed at exit.
/// </summary>
internal static class SpareProcess
{
    private static readonly object Gate = new();
    private static ProcessLaunch? s_spare;
    private static int s_exitHooked;
    private static int s_starting;
    private static int s_exiting;

    /// <summary>
    /// Takes the spare if it is alive and has no job yet: connected or still starting, it is further along
    /// than a process started now.
    /// </summary>
    public static ProcessLaunch? TryTake()
    {
        lock (Gate)
        {
            ProcessLaunch? spare = s_spare;
            if (spare is null || !spare.IsWaiting)
            {
                return null;
            }

            s_spare = null;
            return spare;
        }
    }

    /// <summary>Starts a new spare in the background when there is none.</summary>
    public static void Replenish()
    {
        lock (Gate)
        {
            if (s_spare is { } existing && !existing.Process.HasExited)
            {
                return;
            }
        }

        if (Interlocked.Exchange(ref s_starting, 1) != 0)
        {
            return;
        }

        if (Interlocked.Exchange(ref s_exitHooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                Volatile.Write(ref s_exiting, 1);
                Discard();
            };
        }

        if (Volatile.Read(ref s_exiting) != 0)
        {
            Volatile.Write(ref s_starting, 0);
            return;
        }

        _ = Task.Run(() =>
        {
            try
            {
                var spare = new ProcessLaunch();
                ProcessLaunch? replaced;
                lock (Gate)
                {
                    replaced = s_spare;
                    s_spare = spare;
                }

                replaced?.Dispose();
                if (Volatile.Read(ref s_exiting) != 0)
                {
                    Discard(); // this process began exiting while the spare started
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or System.IO.IOException)
            {
                // No spare this time; the next Start is a cold one and tries again.
            }
            finally
            {
                Volatile.Write(ref s_starting, 0);
            }
        });
    }

    /// <summary>Kills the spare, if any (warm spares turned off, or this process exiting).</summary>
    public static void Discard()
    {
        ProcessLaunch? spare;
        lock (Gate)
        {
            spare = s_spare;
            s_spare = null;
        }

        spare?.Dispose();
    }
}
