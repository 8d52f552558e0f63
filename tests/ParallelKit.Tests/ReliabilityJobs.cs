using System;
using System.IO;
using System.Threading;

namespace ParallelKit.Tests;

/// <summary>Jobs the reliability tests kill, stop or starve.</summary>
public static partial class ReliabilityJobs
{
    /// <summary>
    /// Takes the lock on a thread of its own (not the process's main thread), reports that thread's kernel id,
    /// and holds the lock until killed.
    /// </summary>
    [ParallelJob(Retry = false)]
    public static void HoldOnAThreadUntilKilled(ProcessLock held, SharedValue<int> holderThread, ProcessEvent holding)
    {
        var thread = new Thread(() =>
        {
            _ = held.Acquire();
            holderThread.Value = KernelThreadId();
            holding.Set();
            Thread.Sleep(Timeout.Infinite);
        });
        thread.Start();
        thread.Join();
    }

    /// <summary>Holds a pipe end (never disposing it) until killed.</summary>
    [ParallelJob(Retry = false)]
    public static void HoldPipeEndUntilKilled(PipeEnd<int> end, ProcessEvent holding)
    {
        GC.KeepAlive(end);
        holding.Set();
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>
    /// The first run sets <paramref name="started"/> and sleeps for a minute (long enough to be stopped in);
    /// a later run (the event already set) returns at once. Returns the pid it ran in.
    /// </summary>
    [ParallelJob]
    public static int SleepLongFirstTime(ProcessEvent started)
    {
        if (!started.IsSet)
        {
            started.Set();
            Thread.Sleep(TimeSpan.FromMinutes(1));
        }

        return Environment.ProcessId;
    }

    /// <summary>
    /// Counts its run of map item <paramref name="i"/> in <paramref name="runs"/>; the first run of item
    /// <paramref name="dieAt"/> then kills its own worker (SIGKILL). Sleeps <paramref name="milliseconds"/>; returns i.
    /// </summary>
    [ParallelJob]
    public static int CountRun(SharedArray<int> runs, int i, int dieAt, int milliseconds)
    {
        int run;
        using (runs.Lock())
        {
            run = runs[i] + 1;
            runs[i] = run;
        }

        if (i == dieAt && run == 1)
        {
            System.Diagnostics.Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }

        if (milliseconds > 0)
        {
            Thread.Sleep(milliseconds);
        }

        return i;
    }

    /// <summary>Returns <paramref name="i"/> squared after spinning about <paramref name="microseconds"/>.</summary>
    [ParallelJob]
    public static long SquareSlowly(int i, int microseconds)
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency * microseconds / 1_000_000);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }

        return (long)i * i;
    }

    /// <summary>The calling thread's kernel id, from <c>/proc/thread-self</c> (<c>pid/task/tid</c>).</summary>
    public static int KernelThreadId()
    {
        string target = new FileInfo("/proc/thread-self").LinkTarget ?? throw new InvalidOperationException("no /proc/thread-self");
        return int.Parse(target[(target.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
