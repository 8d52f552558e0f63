using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ParallelKit.Manager;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// <c>queue-probe [items]</c>: the CPU a small queue put and get (64 B arrays, ints), pipe send and receive, and manager dictionary
/// set+get cost the calling thread (CLOCK_THREAD_CPUTIME_ID), measured in one process so that nothing waits: puts
/// into an unbounded queue never do, and gets drain what the thousand puts before them left. Other tenants of a shared host change
/// wall-clock throughput by up to 1.8x between runs; a thread's own CPU time moves far less, so builds compared this
/// way (interleaved, medians of several runs) show what a change to the per-item path is worth.
/// </summary>
public static partial class PeerSuite
{
    /// <summary>Runs the probe; prints one line per measure (median over seven rounds, ns per item).</summary>
    public static int RunQueueProbe(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        byte[] payload = new byte[64];
        payload.AsSpan().Fill((byte)'x');
        const int Rounds = 7;

        using (var queue = new ProcessQueue<byte[]>())
        {
            Measure("queue_put_64B", "queue_get_64B", n, () => queue.Put(payload), () => _ = queue.Get());
        }

        using (var numbers = new ProcessQueue<int>())
        {
            Measure("queue_put_int", "queue_get_int", n, () => numbers.Put(7), () => _ = numbers.Get());
        }

        var (a, b) = ProcessPipe.Create<byte[]>();
        using (a)
        using (b)
        {
            Measure("pipe_send_64B", "pipe_receive_64B", n, () => a.Send(payload), () => _ = b.Receive());
        }

        using (var manager = ProcessManager.Start())
        {
            SharedDictionary<int, int> d = manager.Dictionary<int, int>();
            int calls = Math.Max(1, n / 20);
            double[] cpu = new double[Rounds], wall = new double[Rounds];
            for (int r = -1; r < Rounds; r++)
            {
                long c0 = ThreadCpu.Nanoseconds, w0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++)
                {
                    d[i & 63] = i;
                    _ = d[i & 63];
                }

                if (r >= 0)
                {
                    cpu[r] = (ThreadCpu.Nanoseconds - c0) / (double)calls;
                    wall[r] = Stopwatch.GetElapsedTime(w0).TotalNanoseconds / calls;
                }
            }

            Print("manager_set_get_caller_cpu", cpu);
            Print("manager_set_get_wall", wall);
        }

        return 0;
    }

    /// <summary>
    /// Puts then gets <paramref name="n"/> items a batch of a thousand at a time (so that, as in a stream, the items
    /// are still in cache when taken), seven rounds after a warm-up one; prints the CPU per put and per get.
    /// </summary>
    private static void Measure(string putName, string getName, int n, Action put, Action get)
    {
        const int Rounds = 7, Batch = 1_000;
        double[] puts = new double[Rounds], gets = new double[Rounds];
        for (int r = -1; r < Rounds; r++)
        {
            long putting = 0, getting = 0;
            for (int done = 0; done < n; done += Batch)
            {
                long t0 = ThreadCpu.Nanoseconds;
                for (int i = 0; i < Batch; i++)
                {
                    put();
                }

                long t1 = ThreadCpu.Nanoseconds;
                for (int i = 0; i < Batch; i++)
                {
                    get();
                }

                long t2 = ThreadCpu.Nanoseconds;
                (putting, getting) = (putting + (t1 - t0), getting + (t2 - t1));
            }

            if (r >= 0)
            {
                int items = (n + Batch - 1) / Batch * Batch;
                (puts[r], gets[r]) = (putting / (double)items, getting / (double)items);
            }
        }

        Print(putName, puts);
        Print(getName, gets);
    }

    private static void Print(string what, double[] samples)
    {
        double[] sorted = [.. samples.Order()];
        Console.WriteLine(FormattableString.Invariant($"{what}: median {sorted[sorted.Length / 2]:F1} ns (min {sorted[0]:F1}, max {sorted[^1]:F1})"));
    }
}

/// <summary>The calling thread's CPU time.</summary>
internal static partial class ThreadCpu
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>Nanoseconds of CPU the calling thread has used.</summary>
    public static long Nanoseconds
    {
        get
        {
            _ = ClockGetTime(ThreadCpuClock, out TimeSpec now);
            return (now.Seconds * 1_000_000_000L) + now.Nanoseconds;
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
