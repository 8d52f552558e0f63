using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// The C# side of the Python peer baselines: the same benchmark names, variants, sizes and timing
/// rules (see README.md next to the Python scripts), one JSON line per measurement on stdout.
/// </summary>
/// <remarks>
/// Main runs on a plain (non-pool) thread, so the synchronous <c>.Result</c> loops block a thread the
/// way Python's <c>.get()</c> / <c>.result()</c> do, without starving the thread pool that the threads
/// backend and the <c>await</c> continuations use.
/// </remarks>
public static partial class PeerSuite
{
    private const int Workers = 2;

    /// <summary>Python warms with 200 ops; .NET also needs time for tiered JIT (tier-1 after ~100 ms), so at least this long.</summary>
    private static readonly TimeSpan MinWarmUp = TimeSpan.FromMilliseconds(300);

    private static readonly string[] AllBenches =
        ["spawn_join", "server_start", "pool_roundtrip", "pool_throughput", "map_speedup", "thread_overhead", "load", "reliability", "lock_pingpong", "shared_value", "queue_throughput", "pipe_throughput", "manager_dict",
         "cluster_roundtrip", "cluster_throughput", "cluster_map_speedup", "cluster_node_death", "cluster_scale", "csp"];

    private static bool s_quick;

    public static int Run(string[] args)
    {
        var only = new HashSet<string>(AllBenches, StringComparer.Ordinal);
        string? child = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    s_quick = true;
                    break;
                case "--only" when i + 1 < args.Length:
                    only = new HashSet<string>(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
                    break;
                case "--child" when i + 1 < args.Length:
                    // Internal: one `load` measurement in a fresh process (see PeerSuite.Load.cs).
                    child = args[++i];
                    break;
                default:
                    Report.Log($"peer: unknown argument '{args[i]}'; expected --quick, --only bench[,bench...] (benches: {string.Join(", ", AllBenches)})");
                    return 2;
            }
        }

        if (child is not null)
        {
            return child.StartsWith(ScaleChildPrefix, StringComparison.Ordinal)
                ? RunClusterScaleChild(int.Parse(child[ScaleChildPrefix.Length..], System.Globalization.CultureInfo.InvariantCulture))
                : RunLoadChild(child);
        }

        int failures = 0;
        foreach (string bench in AllBenches)
        {
            if (!only.Contains(bench))
            {
                continue;
            }

            Report.Log("== " + bench);
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                switch (bench)
                {
                    case "spawn_join": SpawnJoin(); break;
                    case "server_start": ServerStart(); break;
                    case "pool_roundtrip": PoolRoundTrip(); break;
                    case "pool_throughput": PoolThroughput(); break;
                    case "map_speedup": MapSpeedup(); break;
                    case "thread_overhead": ThreadOverhead(); break;
                    case "load": Load(); break;
                    case "reliability": Reliability(); break;
                    case "lock_pingpong": LockPingPong(); break;
                    case "shared_value": SharedValueBench(); break;
                    case "queue_throughput": QueueThroughput(); break;
                    case "pipe_throughput": PipeThroughput(); break;
                    case "manager_dict": ManagerDict(); break;
                    case "cluster_roundtrip": ClusterRoundTrip(); break;
                    case "cluster_throughput": ClusterThroughput(); break;
                    case "cluster_map_speedup": ClusterMapSpeedup(); break;
                    case "cluster_node_death": ClusterNodeDeath(); break;
                    case "cluster_scale": ClusterScale(); break;
                    case "csp": CspBenches(); break;
                }
            }
            catch (Exception ex)
            {
                Report.Log($"!! {bench} failed: {ex}");
                failures++;
            }

            Report.Log($"   ({Stopwatch.GetElapsedTime(t0).TotalSeconds:F1} s)");
        }

        try
        {
            StopSharedCluster();
        }
        catch (Exception ex)
        {
            Report.Log($"!! stopping the benchmark cluster failed: {ex}");
            failures++;
        }

        return failures == 0 ? 0 : 1;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>The variable that keeps a process server's data frames on its workers' sockets (no shared-memory rings).</summary>
    private const string TransportVariable = "PARALLELKIT_WORKER_TRANSPORT";

    private static JobServer StartWarm(JobBackend backend, int maxChunkSize = 0, bool socketTransport = false)
    {
        // Workers take rings (or not) when they connect: by the time every worker has run a job, all have.
        Environment.SetEnvironmentVariable(TransportVariable, socketTransport ? "socket" : null);
        JobServer server = JobServer.Start(new JobServerOptions { Workers = Workers, Backend = backend, MaxChunkSize = maxChunkSize });
        WaitUntilEveryWorkerRan(server, Workers);
        Environment.SetEnvironmentVariable(TransportVariable, null);
        // Like Python's pool.map(inc, range(100)): every worker has run the job's code path once.
        int[] warm = server.MapAsync(Enumerable.Range(0, 100).ToArray(), static i => BenchJobs.Jobs.Inc(i)).GetAwaiter().GetResult();
        Check(warm[^1] == 100, "warm-up map");
        return server;
    }

    /// <summary>
    /// Submits pairs of tiny jobs until each of <paramref name="workers"/> workers has completed one;
    /// returns, per worker, the Stopwatch timestamp at which its first job was seen completed.
    /// </summary>
    private static long[] WaitUntilEveryWorkerRan(JobServer server, int workers)
    {
        var firstSeen = new long[workers];
        int seen = 0;
        var pending = new Job<int>[workers];
        long deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (seen < workers)
        {
            for (int i = 0; i < pending.Length; i++)
            {
                pending[i] = server.Submit(BenchJobs.Jobs.Inc(i));
            }

            foreach (Job<int> job in pending)
            {
                job.Wait();
                long now = Stopwatch.GetTimestamp();
                int id = job.WorkerId;
                if (id >= 0 && id < workers && firstSeen[id] == 0)
                {
                    firstSeen[id] = now;
                    seen++;
                }
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"only {seen} of {workers} workers ran a job within 30 s");
            }
        }

        return firstSeen;
    }

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException("wrong result: " + what);
        }
    }

    private static double Seconds(long start, long end) => (end - start) * Report.TickSeconds;

    /// <summary>Per-op timing of a synchronous op after a warm-up of ≥ <paramref name="warm"/> ops and ≥ <see cref="MinWarmUp"/>.</summary>
    private static double[] TimeEach(int warm, int n, Func<int, int> op)
    {
        long warmStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < warm || Stopwatch.GetElapsedTime(warmStart) < MinWarmUp; i++)
        {
            Check(op(i) == i + 1, "warm-up op");
        }

        var times = new double[n];
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int r = op(i);
            long t1 = Stopwatch.GetTimestamp();
            Check(r == i + 1, "op");
            times[i] = Seconds(t0, t1);
        }

        return times;
    }

    /// <summary>Per-op timing of an awaited op, one at a time (the loop itself runs on the thread pool).</summary>
    private static double[] TimeEachAwaited(int warm, int n, Func<int, Task<int>> op)
        => TimeEachAwaitedAsync(warm, n, op).GetAwaiter().GetResult();

    private static async Task<double[]> TimeEachAwaitedAsync(int warm, int n, Func<int, Task<int>> op)
    {
        await Task.Yield();
        long warmStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < warm || Stopwatch.GetElapsedTime(warmStart) < MinWarmUp; i++)
        {
            Check(await op(i) == i + 1, "warm-up op");
        }

        var times = new double[n];
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int r = await op(i);
            long t1 = Stopwatch.GetTimestamp();
            Check(r == i + 1, "op");
            times[i] = Seconds(t0, t1);
        }

        return times;
    }

    /// <summary>
    /// <c>timed()</c> of <c>pool_throughput.py</c>: one warm-up call with <c>max(10, n / 10)</c> ops, then
    /// <paramref name="reps"/> calls of <paramref name="n"/> ops; seconds per op for each rep.
    /// </summary>
    private static double[] TimeBatches(int n, int reps, Func<int, int[]> run)
    {
        int warmN = Math.Max(10, n / 10);
        int[] warm = run(warmN);
        Check(warm.Length == warmN && warm[^1] == warmN, "warm-up batch");
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int[] res = run(n);
            long t1 = Stopwatch.GetTimestamp();
            Check(res.Length == n && res[^1] == n, "batch");
            times[r] = Seconds(t0, t1) / n;
        }

        return times;
    }

    // ---------------------------------------------------------------- spawn_join

    private static void SpawnJoin()
    {
        int n = s_quick ? 6 : 40;
        const int warmup = 2;
        var times = new List<double>(n);

        // multiprocessing.Process(target=empty).start(); .join() -- cold: no warm spare (a spare started by one
        // Start would otherwise have a head start on the next one), every process starts from nothing.
        ParallelProcess.KeepWarmSpare = false;
        for (int i = 0; i < warmup + n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (var p = ParallelProcess.Start(BenchJobs.Jobs.Empty()))
            {
                p.Join();
                long t1 = Stopwatch.GetTimestamp();
                Check(p.ExitCode == 0, $"ParallelProcess exit code {p.ExitCode}");
                if (i >= warmup)
                {
                    times.Add(Seconds(t0, t1));
                }
            }
        }

        Report.Emit("spawn_join", "csharp-parallelkit-process", "empty_target", n, [.. times], "per-op",
            ("what", "ParallelProcess.Start(Jobs.Empty()) + Join(), KeepWarmSpare = false (cold)"));

        // The same with a ready warm spare (ParallelProcess.KeepWarmSpare, on by default): a pause, not
        // timed, lets the spare connect before each Start -- the forkserver-like case.
        ParallelProcess.KeepWarmSpare = true;
        times.Clear();
        for (int i = 0; i < warmup + n; i++)
        {
            Thread.Sleep(300);
            long t0 = Stopwatch.GetTimestamp();
            using (var p = ParallelProcess.Start(BenchJobs.Jobs.Empty()))
            {
                p.Join();
                long t1 = Stopwatch.GetTimestamp();
                Check(p.ExitCode == 0, $"ParallelProcess exit code {p.ExitCode}");
                if (i >= warmup)
                {
                    times.Add(Seconds(t0, t1));
                }
            }
        }

        Report.Emit("spawn_join", "csharp-parallelkit-process-warm-spare", "empty_target", n, [.. times], "per-op",
            ("what", "ParallelProcess.Start(Jobs.Empty()) + Join() with a ready warm spare (300 ms untimed pause before each)"));

        // For comparison: a one-worker job server started, given the empty job, and disposed (which
        // waits for the worker process to exit).
        times.Clear();
        for (int i = 0; i < warmup + n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            var server = JobServer.Start(new JobServerOptions { Workers = 1 });
            server.Submit(BenchJobs.Jobs.Empty()).Wait();
            server.Dispose();
            long t1 = Stopwatch.GetTimestamp();
            if (i >= warmup)
            {
                times.Add(Seconds(t0, t1));
            }
        }

        Report.Emit("spawn_join", "csharp-parallelkit-server-1worker", "empty_target", n, [.. times], "per-op",
            ("workers", 1), ("what", "JobServer.Start(Workers=1) + Submit(Empty()).Wait() + Dispose()"));

        // Reference: the bare cost of starting and reaping a process from .NET.
        int nTrue = s_quick ? 20 : 200;
        times.Clear();
        for (int i = 0; i < warmup + nTrue; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!)
            {
                p.WaitForExit();
                Check(p.ExitCode == 0, "/bin/true exit code");
            }

            long t1 = Stopwatch.GetTimestamp();
            if (i >= warmup)
            {
                times.Add(Seconds(t0, t1));
            }
        }

        Report.Emit("spawn_join", "csharp-process-start-true", "empty_target", nTrue, [.. times], "per-op",
            ("what", "Process.Start(\"/bin/true\") + WaitForExit()"));
    }

    // ---------------------------------------------------------------- server_start

    private static void ServerStart()
    {
        // From JobServer.Start to the first job completed on each of the 2 workers (target <= 150 ms).
        int n = s_quick ? 3 : 10;
        const int warmup = 1;
        var both = new List<double>(n);
        var first = new List<double>(n);
        for (int i = 0; i < warmup + n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            var server = JobServer.Start(new JobServerOptions { Workers = Workers });
            long[] ready = WaitUntilEveryWorkerRan(server, Workers);
            server.Dispose();
            if (i >= warmup)
            {
                both.Add(Seconds(t0, ready.Max()));
                first.Add(Seconds(t0, ready.Min()));
            }
        }

        Report.Emit("server_start", "csharp-parallelkit-processes", "two_workers_ready", n, [.. both], "per-op",
            ("workers", Workers), ("what", "JobServer.Start(Workers=2) until a job has completed on each worker"));
        Report.Emit("server_start", "csharp-parallelkit-processes", "first_worker_ready", n, [.. first], "per-op",
            ("workers", Workers), ("what", "JobServer.Start(Workers=2) until the first job has completed"));

        // For the profile: the same with one worker (no second process competing for the CPU while starting).
        var one = new List<double>(n);
        for (int i = 0; i < warmup + n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            var server = JobServer.Start(new JobServerOptions { Workers = 1 });
            long[] ready = WaitUntilEveryWorkerRan(server, 1);
            server.Dispose();
            if (i >= warmup)
            {
                one.Add(Seconds(t0, ready[0]));
            }
        }

        Report.Emit("server_start", "csharp-parallelkit-processes", "one_worker_ready", n, [.. one], "per-op",
            ("workers", 1), ("what", "JobServer.Start(Workers=1) until its job has completed"));
    }

    // ---------------------------------------------------------------- pool_roundtrip

    private static void PoolRoundTrip()
    {
        int n = s_quick ? 500 : 5000;
        const int warm = 200;
        foreach ((JobBackend backend, string impl, bool socket) in new[]
        {
            (JobBackend.Processes, "csharp-parallelkit-processes", false),
            (JobBackend.Processes, "csharp-parallelkit-processes-socket", true),
            (JobBackend.Threads, "csharp-parallelkit-threads", false),
        })
        {
            using JobServer server = StartWarm(backend, socketTransport: socket);
            double[] t = TimeEach(warm, n, i => server.Submit(BenchJobs.Jobs.Inc(i)).Result);
            Report.Emit("pool_roundtrip", impl, "apply_async_get", n, t, "per-op",
                ("workers", Workers), ("wait", "job.Result"));
            t = TimeEachAwaited(warm, n, async i => await server.Submit(BenchJobs.Jobs.Inc(i)));
            Report.Emit("pool_roundtrip", impl, "submit_result", n, t, "per-op",
                ("workers", Workers), ("wait", "await job"));
        }
    }

    // ---------------------------------------------------------------- pool_throughput

    private static void PoolThroughput()
    {
        int reps = s_quick ? 3 : 5;
        int nBig = s_quick ? 20_000 : 200_000;
        int nSmall = s_quick ? 2_000 : 20_000;
        foreach ((JobBackend backend, string impl, bool socket) in new[]
        {
            (JobBackend.Processes, "csharp-parallelkit-processes", false),
            (JobBackend.Processes, "csharp-parallelkit-processes-socket", true),
            (JobBackend.Threads, "csharp-parallelkit-threads", false),
        })
        {
            using (JobServer server = StartWarm(backend, socketTransport: socket))
            {
                double[] t = TimeBatches(nBig, reps, n => Map(server, n));
                Report.Emit("pool_throughput", impl, "map_chunksize_default", nBig, t, "batch",
                    ("workers", Workers), ("what", "MapAsync(items, i => Jobs.Inc(i))"));

                t = TimeBatches(nSmall, reps, n =>
                {
                    var jobs = new Job<int>[n];
                    for (int i = 0; i < n; i++)
                    {
                        jobs[i] = server.Submit(BenchJobs.Jobs.Inc(i));
                    }

                    var results = new int[n];
                    for (int i = 0; i < n; i++)
                    {
                        results[i] = jobs[i].Result;
                    }

                    return results;
                });
                Report.Emit("pool_throughput", impl, "submit", nSmall, t, "batch",
                    ("workers", Workers), ("what", "n x Submit(Jobs.Inc(i)), then .Result of each"));
            }

            using (JobServer server = StartWarm(backend, maxChunkSize: 1, socketTransport: socket))
            {
                double[] t = TimeBatches(nSmall, reps, n => Map(server, n));
                Report.Emit("pool_throughput", impl, "map_chunksize_1", nSmall, t, "batch",
                    ("workers", Workers), ("max_chunk_size", 1), ("what", "MapAsync with JobServerOptions.MaxChunkSize = 1"));
            }
        }
    }

    private static readonly Dictionary<int, int[]> s_ranges = [];

    /// <summary><c>pool.map(inc, range(n))</c>; the item arrays are made once, outside the timing.</summary>
    private static int[] Map(JobServer server, int n)
    {
        if (!s_ranges.TryGetValue(n, out int[]? items))
        {
            s_ranges[n] = items = Enumerable.Range(0, n).ToArray();
        }

        return server.MapAsync(items, static i => BenchJobs.Jobs.Inc(i)).GetAwaiter().GetResult();
    }

    // ---------------------------------------------------------------- map_speedup

    private static void MapSpeedup()
    {
        int limit = s_quick ? 200_000 : 1_000_000;
        int reps = s_quick ? 3 : 5;
        (int From, int To)[] chunks = Primes.MakeChunks(limit);
        (int From, int To)[] warmChunks = Primes.MakeChunks(2000, 8);
        int? expect = Primes.KnownPi(limit);
        string variant = $"primes_below_{limit}_{Primes.Chunks}chunks";
        (string, object?)[] common = [("limit", limit), ("chunks", Primes.Chunks), ("prime_count", expect)];

        // csharp-serial: a plain loop over the 64 chunks in this process.
        int Serial()
        {
            int total = 0;
            foreach ((int from, int to) in chunks)
            {
                total += Primes.CountRange(from, to);
            }

            return total;
        }

        Primes.CountRange(0, 20_000); // warm-up, as Python
        Serial();                     // and one untimed run of the whole job (tiered JIT / OSR)
        double[] serial = TimeJob(Serial, reps, expect);
        double smed = Report.UpperMiddle(serial);
        Report.Emit("map_speedup", "csharp-serial", variant, 1, serial, "batch",
            [("workers", 1), ("speedup", 1.0), .. common]);

        void ReportParallel(string impl, string suffix, double[] times, params (string, object?)[] extra)
        {
            double pmed = Report.UpperMiddle(times);
            Report.Emit("map_speedup", impl, variant + suffix, 1, times, "batch",
                [("workers", Workers), ("speedup", Math.Round(smed / pmed, 3)), ("serial_median_us", Math.Round(smed * 1e6, 1)), .. extra, .. common]);
        }

        int MapOn(JobServer server, (int From, int To)[] work)
            => server.MapAsync(work, static c => BenchJobs.Jobs.CountPrimes(c.From, c.To)).GetAwaiter().GetResult().Sum();

        // Untimed maps before each variant's timed ones: the small map, then the whole one at least three times and
        // until a whole map compiles no new method in this process (at most ten). This process's own map and dispatch
        // code is still being compiled (tiered JIT with its instrumented tier, on a core the workers need: perf saw
        // this process's tiering thread busy for seconds) during its first whole maps; a variant timed while it was
        // paid for it and the ones after it did not.
        void WarmUp(JobServer server)
        {
            MapOn(server, warmChunks);
            for (int i = 0; i < 10; i++)
            {
                long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
                MapOn(server, chunks);
                if (i >= 2 && System.Runtime.JitInfo.GetCompiledMethodCount() == compiled)
                {
                    break;
                }
            }
        }

        // The process and thread backends, whose speed-ups issue 14 compares, are timed in turns (process map, thread
        // map, thread map, process map, and again), fifteen of each (nine with --quick): a host that drifts in speed
        // over the seconds of a run (a neighbour's load, the clock) then weighs on both alike, not on whichever ran
        // while it was slow.
        using (JobServer processes = StartWarm(JobBackend.Processes))
        using (JobServer threads = StartWarm(JobBackend.Threads))
        {
            WarmUp(processes);
            WarmUp(threads);
            int turns = 3 * reps;
            var processTimes = new double[turns];
            var threadTimes = new double[turns];
            for (int r = 0; r < turns; r++)
            {
                // Each goes first in every other turn: what is left of the background work after a map (the other
                // variant's workers going idle, tiering) weighs on both alike.
                if (r % 2 == 0)
                {
                    processTimes[r] = TimeJob(() => MapOn(processes, chunks), 1, expect)[0];
                    threadTimes[r] = TimeJob(() => MapOn(threads, chunks), 1, expect)[0];
                }
                else
                {
                    threadTimes[r] = TimeJob(() => MapOn(threads, chunks), 1, expect)[0];
                    processTimes[r] = TimeJob(() => MapOn(processes, chunks), 1, expect)[0];
                }
            }

            ReportParallel("csharp-parallelkit-processes", string.Empty, processTimes, ("chunksize", "default"), ("timed_in_turns_with", "csharp-parallelkit-threads"));
            ReportParallel("csharp-parallelkit-threads", string.Empty, threadTimes, ("chunksize", "default"), ("timed_in_turns_with", "csharp-parallelkit-processes"));
        }

        using (JobServer server = StartWarm(JobBackend.Processes, socketTransport: true))
        {
            WarmUp(server);
            ReportParallel("csharp-parallelkit-processes-socket", string.Empty, TimeJob(() => MapOn(server, chunks), reps, expect), ("chunksize", "default"));
        }

        using (JobServer server = StartWarm(JobBackend.Processes, maxChunkSize: 1))
        {
            WarmUp(server);
            ReportParallel("csharp-parallelkit-processes", "_chunksize1", TimeJob(() => MapOn(server, chunks), reps, expect), ("chunksize", 1));
        }

        // System.Threading.Tasks.Parallel.For beside ParallelKit: still resolves (no global::Parallel namespace).
        var options = new ParallelOptions { MaxDegreeOfParallelism = Workers };
        int ParallelFor()
        {
            var counts = new int[chunks.Length];
            Parallel.For(0, chunks.Length, options, i => counts[i] = Primes.CountRange(chunks[i].From, chunks[i].To));
            return counts.Sum();
        }

        ParallelFor();
        ReportParallel("csharp-parallel-for", string.Empty, TimeJob(ParallelFor, reps, expect), ("chunksize", 1), ("max_degree_of_parallelism", Workers));
    }

    private static double[] TimeJob(Func<int> run, int reps, int? expect)
    {
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int total = run();
            long t1 = Stopwatch.GetTimestamp();
            times[r] = Seconds(t0, t1);
            if (expect is { } e && total != e)
            {
                throw new InvalidOperationException($"prime count {total} != {e}");
            }
        }

        return times;
    }

    // ---------------------------------------------------------------- thread_overhead

    private static void ThreadOverhead()
    {
        int n = s_quick ? 2000 : 20000;
        const int warm = 200;

        double[] t = TimeEach(warm, n, static i =>
        {
            var thread = new Thread(static () => { });
            thread.Start();
            thread.Join();
            return i + 1;
        });
        Report.Emit("thread_overhead", "csharp-dotnet", "thread_start_join", n, t, "per-op",
            ("what", "new Thread(empty) + Start() + Join()"));

        t = TimeEachAwaited(warm, n, static async i => await Task.Run(() => i + 1));
        Report.Emit("thread_overhead", "csharp-dotnet", "threadpool_roundtrip", n, t, "per-op",
            ("workers", Environment.ProcessorCount), ("what", "await Task.Run(() => x + 1)"));

        using JobServer server = StartWarm(JobBackend.Threads);
        t = TimeEachAwaited(warm, n, async i => await server.Submit(BenchJobs.Jobs.Inc(i)));
        Report.Emit("thread_overhead", "csharp-parallelkit-threads", "threadpool_roundtrip", n, t, "per-op",
            ("workers", Workers), ("what", "await server.Submit(Jobs.Inc(x)) on JobBackend.Threads"));
    }
}
