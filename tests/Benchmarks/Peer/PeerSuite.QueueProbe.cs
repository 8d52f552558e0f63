using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ParallelKit.Manager;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// <c>queue-probe [items]</c>: the CPU a small queue put and get, pipe send and receive, and manager dictionary
/// set+get cost the calling thread (CLOCK_THREAD_CPUTIME_ID), measured in one process so that nothing waits: puts
/// into an unbounded queue never do, and gets drain a queue filled beforehand. Other tenants of a shared host change
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
            double[] put = new double[Rounds], get = new double[Rounds];
            for (int r = -1; r < Rounds; r++)
            {
                long t0 = ThreadCpu.Nanoseconds;
                for (int i = 0; i < n; i++)
                {
                    queue.Put(payload);
                }

                long t1 = ThreadCpu.Nanoseconds;
                for (int i = 0; i < n; i++)
                {
                    _ = queue.Get();
                }

                long t2 = ThreadCpu.Nanoseconds;
                if (r >= 0)
                {
                    (put[r], get[r]) = ((t1 - t0) / (double)n, (t2 - t1) / (double)n);
                }
            }

            Print("queue_put_64B", put);
            Print("queue_get_64B", get);
        }

        var (a, b) = ProcessPipe.Create<byte[]>();
        using (a)
        using (b)
        {
            double[] send = new double[Rounds], receive = new double[Rounds];
            for (int r = -1; r < Rounds; r++)
            {
                long t0 = ThreadCpu.Nanoseconds;
                for (int i = 0; i < n; i++)
                {
                    a.Send(payload);
                }

                long t1 = ThreadCpu.Nanoseconds;
                for (int i = 0; i < n; i++)
                {
                    _ = b.Receive();
                }

                long t2 = ThreadCpu.Nanoseconds;
                if (r >= 0)
                {
                    (send[r], receive[r]) = ((t1 - t0) / (double)n, (t2 - t1) / (double)n);
                }
            }

            Print("pipe_send_64B", send);
            Print("pipe_receive_64B", receive);
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
