using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// The cluster benchmarks (issue 10), beside <c>dask_cluster.py</c> (a <c>distributed.LocalCluster</c> of 3 worker
/// processes with 1 thread each on 127.0.0.1): a loopback cluster of 3 nodes with 1 worker each and this process as
/// the driver, <see cref="FailureDetection.Fast"/>. The nodes are this executable relaunched (<c>cluster-node</c>).
/// <c>cluster_roundtrip</c>, <c>cluster_throughput</c> and <c>cluster_spread</c> use Dask's bench and variant names.
/// </summary>
public static partial class PeerSuite
{
    private const string ClusterImpl = "csharp-parallelkit-cluster";
    private const int ClusterNodes = 3;
    private const int ClusterWorkersPerNode = 1;
    private const string ScaleChildPrefix = "cluster_scale:";

    private static LoopbackCluster? s_cluster;

    private static (string, object?)[] ClusterMeta =>
        [("nodes", ClusterNodes), ("workers_per_node", ClusterWorkersPerNode), ("failure_detection", "Fast"), ("transport", "Orleans 10.4.2 silos, TLS, loopback"), ("host_load_avg_1m", LoadAverage())];

    /// <summary><c>cluster-node --silo P --gateway G --primary P0 --workers N --name NAME [--detection Fast|Default]</c>: runs until SIGTERM.</summary>
    public static int RunClusterNode(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        int Int(string key) => int.Parse(values[key], CultureInfo.InvariantCulture);
        string name = values.GetValueOrDefault("name", "node");
        Environment.SetEnvironmentVariable(BenchJobs.NodeVariable, name); // its workers inherit it
        var options = new ClusterOptions
        {
            ClusterId = "pk-bench",
            Secret = Environment.GetEnvironmentVariable("PK_CLUSTER_SECRET"),
            Membership = ClusterMembership.Localhost(Int("primary")),
            FailureDetection = values.GetValueOrDefault("detection") == "Default" ? FailureDetection.Default : FailureDetection.Fast,
            SiloPort = Int("silo"),
            GatewayPort = Int("gateway"),
            Workers = Int("workers"),
            NodeName = name,
            StartTimeout = TimeSpan.FromSeconds(180),
        };
        var startup = new Thread(() => ReportStartupJit(name)) { IsBackground = true };
        startup.Start();
        ClusterNode.RunAsync(options).GetAwaiter().GetResult();
        return 0;
    }

    /// <summary>
    /// Once the node's start-up has settled (after 3 s, fewer than 20 methods JIT-compiled in a second; tier-1
    /// recompilations go on for a while), logs how much of its CPU time went to the JIT: where a node's start-up
    /// goes, for the formation times of <c>cluster_scale</c>.
    /// </summary>
    private static void ReportStartupJit(string name)
    {
        var clock = Stopwatch.StartNew();
        long last = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (true)
        {
            Thread.Sleep(1000);
            long count = System.Runtime.JitInfo.GetCompiledMethodCount();
            if ((clock.Elapsed > TimeSpan.FromSeconds(3) && count - last < 20) || clock.Elapsed > TimeSpan.FromSeconds(120))
            {
                break;
            }

            last = count;
        }

        Report.Log(string.Create(CultureInfo.InvariantCulture,
            $"node {name} start-up settled after {clock.Elapsed.TotalSeconds:F1} s: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods JIT-compiled in {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:F2} s; process CPU {LoopbackCluster.CpuSeconds(Environment.ProcessId):F2} s"));
    }

    /// <summary>The shared 3-node cluster of the cluster benchmarks, started on first use.</summary>
    private static LoopbackCluster SharedCluster()
    {
        if (s_cluster is null)
        {
            s_cluster = LoopbackCluster.StartAsync(ClusterNodes, ClusterWorkersPerNode, FailureDetection.Fast).GetAwaiter().GetResult();
            Report.Log(string.Create(CultureInfo.InvariantCulture,
                $"   cluster: driver silo listening after {s_cluster.DriverListeningSeconds:F2} s, {ClusterNodes} nodes admitted after {s_cluster.FormSeconds:F2} s (node CPU s then: {string.Join(", ", s_cluster.NodeCpuSecondsAtForm)}; load avg {LoadAverage()})"));
            WarmCluster(s_cluster.Server);
        }

        return s_cluster;
    }

    private static void StopSharedCluster()
    {
        if (s_cluster is { } cluster)
        {
            Report.Log(cluster.Server.Stats.ToString());
            s_cluster = null;
            cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Every node's worker has run the tiny job (JIT on the driver, the node silos and the workers).</summary>
    private static void WarmCluster(JobServer server)
    {
        for (int round = 0; round < 3; round++)
        {
            int[] warm = server.MapAsync(Enumerable.Range(0, 10_000).ToArray(), static i => BenchJobs.Jobs.Inc(i)).GetAwaiter().GetResult();
            Check(warm[^1] == 10_000, "cluster warm-up map");
        }

        Job<int>[] jobs = [.. Enumerable.Range(0, 300).Select(i => server.Submit(BenchJobs.Jobs.Inc(i)))];
        foreach (Job<int> job in jobs)
        {
            Check(job.Result > 0, "cluster warm-up submit");
        }
    }

    // ---------------------------------------------------------------- cluster_roundtrip

    /// <summary><c>client.submit(inc, x).result()</c> one at a time: driver → node → driver.</summary>
    private static void ClusterRoundTrip()
    {
        JobServer server = SharedCluster().Server;
        int n = s_quick ? 500 : 5000;
        double[] t = TimeEachAwaited(200, n, async i => await server.Submit(BenchJobs.Jobs.Inc(i)));
        Report.Emit("cluster_roundtrip", ClusterImpl, "submit_result", n, t, "per-op",
            [.. ClusterMeta, ("wait", "await job"), ("what", "await server.Submit(Jobs.Inc(i)), one at a time")]);
        t = TimeEach(200, n, i => server.Submit(BenchJobs.Jobs.Inc(i)).Result);
        Report.Emit("cluster_roundtrip", ClusterImpl, "submit_result_sync", n, t, "per-op",
            [.. ClusterMeta, ("wait", "job.Result"), ("what", "server.Submit(Jobs.Inc(i)).Result, one at a time")]);
    }

    // ---------------------------------------------------------------- cluster_throughput

    private static void ClusterThroughput()
    {
        JobServer server = SharedCluster().Server;
        int reps = s_quick ? 2 : 3;

        // client.gather(client.map(inc, range(n))): Dask's n (5,000), and a long map for the jobs/s target.
        double[] t = TimeBatches(5000, s_quick ? 3 : 5, n => Map(server, n));
        Report.Emit("cluster_throughput", ClusterImpl, "map_tiny", 5000, t, "batch",
            [.. ClusterMeta, ("what", "MapAsync(range(n), i => Jobs.Inc(i)), Dask's n")]);
        int nBig = s_quick ? 200_000 : 1_000_000;
        t = TimeBatches(nBig, reps, n => Map(server, n));
        Report.Emit("cluster_throughput", ClusterImpl, "map_tiny_1m", nBig, t, "batch",
            [.. ClusterMeta, ("what", "MapAsync(range(n), i => Jobs.Inc(i)), n = 1M")]);

        // Unbatched submits, many in flight: n × Submit, then each awaited (the dispatcher may still put queued
        // single jobs in one message: that is ParallelKit's batching, not the caller's).
        int nSubmit = s_quick ? 20_000 : 100_000;
        t = TimeBatches(nSubmit, reps, n =>
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
        Report.Emit("cluster_throughput", ClusterImpl, "submit", nSubmit, t, "batch",
            [.. ClusterMeta, ("what", "n x Submit(Jobs.Inc(i)) outstanding at once, then .Result of each")]);

        // n jobs of a 1 ms sleep through the map, and how they spread over the nodes (dask: sleep_1ms).
        int nNap = s_quick ? 1000 : 3000;
        int[] items = Enumerable.Range(0, nNap).ToArray();
        server.MapAsync(items[..30], static _ => BenchJobs.Jobs.Nap()).GetAwaiter().GetResult();
        long t0 = Stopwatch.GetTimestamp();
        string[] where = server.MapAsync(items, static _ => BenchJobs.Jobs.Nap()).GetAwaiter().GetResult();
        double dt = Seconds(t0, Stopwatch.GetTimestamp());
        int[] spread = [.. where.GroupBy(w => w).Select(g => g.Count()).OrderDescending()];
        Report.Log($"   cluster sleep_1ms spread over nodes: [{string.Join(", ", spread)}]");
        Report.Emit("cluster_throughput", ClusterImpl, "sleep_1ms", nNap, [dt / nNap], "batch",
            [.. ClusterMeta, ("ideal_us_per_job", Math.Round(1000.0 / ClusterNodes, 1)), ("what", "MapAsync(range(n), _ => Jobs.Nap()): Thread.Sleep(1) per job")]);
        Report.Emit("cluster_spread", ClusterImpl, "sleep_1ms", nNap, [dt / nNap], "batch",
            [.. ClusterMeta, ("per_worker", "[" + string.Join(", ", spread) + "]")]);
    }

    // ---------------------------------------------------------------- cluster_map_speedup

    /// <summary>The map_speedup workload (primes below 1M, 64 chunks) over 3 nodes vs one local 2-worker server vs serial.</summary>
    private static void ClusterMapSpeedup()
    {
        int limit = s_quick ? 200_000 : 1_000_000;
        int reps = s_quick ? 3 : 5;
        (int From, int To)[] chunks = Primes.MakeChunks(limit);
        int? expect = Primes.KnownPi(limit);
        string variant = $"primes_below_{limit}_{Primes.Chunks}chunks";
        (string, object?)[] common = [("limit", limit), ("chunks", Primes.Chunks), ("prime_count", expect)];

        int Serial()
        {
            int total = 0;
            foreach ((int from, int to) in chunks)
            {
                total += Primes.CountRange(from, to);
            }

            return total;
        }

        int MapOn(JobServer server) => server.MapAsync(chunks, static c => BenchJobs.Jobs.CountPrimes(c.From, c.To)).GetAwaiter().GetResult().Sum();

        Serial();
        double[] serial = TimeJob(Serial, reps, expect);
        double smed = Report.UpperMiddle(serial);
        Report.Emit("cluster_map_speedup", "csharp-serial", variant, 1, serial, "batch", [("workers", 1), ("speedup", 1.0), .. common]);

        double lmed;
        using (JobServer local = StartWarm(JobBackend.Processes))
        {
            MapOn(local);
            double[] t = TimeJob(() => MapOn(local), reps, expect);
            lmed = Report.UpperMiddle(t);
            Report.Emit("cluster_map_speedup", "csharp-parallelkit-processes", variant, 1, t, "batch",
                [("workers", Workers), ("speedup", Math.Round(smed / lmed, 3)), ("serial_median_us", Math.Round(smed * 1e6, 1)), ("what", "one local JobServer.Start(Workers = 2)"), .. common]);
        }

        JobServer server = SharedCluster().Server;
        MapOn(server);
        double[] c = TimeJob(() => MapOn(server), reps, expect);
        double cmed = Report.UpperMiddle(c);
        Report.Emit("cluster_map_speedup", ClusterImpl, variant, 1, c, "batch",
            [.. ClusterMeta, ("workers", ClusterNodes * ClusterWorkersPerNode), ("speedup", Math.Round(smed / cmed, 3)), ("vs_local_server", Math.Round(lmed / cmed, 3)),
             ("serial_median_us", Math.Round(smed * 1e6, 1)), ("host_cores", Environment.ProcessorCount), .. common]);
    }

    // ---------------------------------------------------------------- cluster_node_death

    /// <summary>
    /// SIGKILL of a node mid-map (<see cref="FailureDetection.Fast"/>): a map of 10 ms jobs that trace where and when
    /// each started; 600 ms in, the node running the most items is killed. Per kill: until the driver shows the node
    /// dead (Stats polled every ~2 ms), until the first of its lost items starts on another node, until the last of
    /// them has started again, and until the map completes. A replacement node joins before the next kill.
    /// </summary>
    private static void ClusterNodeDeath()
    {
        LoopbackCluster cluster = SharedCluster();
        JobServer server = cluster.Server;
        int kills = s_quick ? 2 : 5;
        const int jobMs = 10;
        int n = 900; // ~3 s of work over 3 single-worker nodes
        string root = Path.Combine(Path.GetTempPath(), $"pk-bench-death-{Environment.ProcessId}");
        var noticed = new List<double>();
        var first = new List<double>();
        var all = new List<double>();
        var done = new List<double>();
        var lostCounts = new List<int>();
        int[] items = Enumerable.Range(0, n).ToArray();
        double noKill;
        try
        {
            // The same map with no kill, for reference.
            string calm = Path.Combine(root, "calm");
            Directory.CreateDirectory(calm);
            long c0 = Stopwatch.GetTimestamp();
            Check(server.MapAsync(items, i => BenchJobs.Jobs.Traced(i, jobMs, calm)).GetAwaiter().GetResult()[^1] == n, "map without a kill");
            noKill = Seconds(c0, Stopwatch.GetTimestamp());
            Report.Log(string.Create(CultureInfo.InvariantCulture, $"   the map without a kill: {noKill:F3} s"));

            for (int k = 0; k < kills; k++)
            {
                string dir = Path.Combine(root, k.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                Task<int[]> map = server.MapAsync(items, i => BenchJobs.Jobs.Traced(i, jobMs, dir));
                Thread.Sleep(600);
                Check(!map.IsCompleted, "the map finished before the kill");
                // The victim: the node whose worker is running now (every node is, mid-map); take them in turn.
                NodeProcess victim = cluster.Nodes.Where(p => !p.HasExited).Skip(k % ClusterNodes).First();
                long tKill = Stopwatch.GetTimestamp();
                victim.Kill();
                long tNoticed = 0;
                while (tNoticed == 0 && Stopwatch.GetElapsedTime(tKill) < TimeSpan.FromSeconds(60))
                {
                    if (server.Stats.Nodes!.Any(s => s.Node == victim.Name && s.State != NodeState.Active))
                    {
                        tNoticed = Stopwatch.GetTimestamp();
                    }
                    else
                    {
                        Thread.Sleep(2);
                    }
                }

                int[] results = map.GetAwaiter().GetResult();
                long tDone = Stopwatch.GetTimestamp();
                Check(results.Length == n && results[^1] == n, "map after a node death");

                // item → starts (node, stamp); lost items: started on the victim, and again elsewhere after the kill.
                var starts = new Dictionary<int, List<(string Node, long Stamp)>>();
                foreach (string file in Directory.EnumerateFiles(dir))
                {
                    foreach (string line in File.ReadLines(file))
                    {
                        string[] f = line.Split(' ');
                        if (f.Length == 3)
                        {
                            int item = int.Parse(f[0], CultureInfo.InvariantCulture);
                            if (!starts.TryGetValue(item, out var list))
                            {
                                starts[item] = list = [];
                            }

                            list.Add((f[1], long.Parse(f[2], CultureInfo.InvariantCulture)));
                        }
                    }
                }

                var reruns = new List<long>();
                foreach ((int _, var list) in starts)
                {
                    if (list.Any(s => s.Node == victim.Name && s.Stamp < tKill))
                    {
                        long[] again = [.. list.Where(s => s.Node != victim.Name && s.Stamp > tKill).Select(s => s.Stamp)];
                        if (again.Length > 0)
                        {
                            reruns.Add(again.Min());
                        }
                    }
                }

                Check(reruns.Count > 0, "no item of the killed node ran again elsewhere");
                noticed.Add(tNoticed == 0 ? double.NaN : Seconds(tKill, tNoticed));
                first.Add(Seconds(tKill, reruns.Min()));
                all.Add(Seconds(tKill, reruns.Max()));
                done.Add(Seconds(tKill, tDone));
                lostCounts.Add(reruns.Count);
                Report.Log(string.Create(CultureInfo.InvariantCulture,
                    $"   kill {k} ({victim.Name}): noticed {noticed[^1]:F3} s, first re-run {first[^1]:F3} s, last re-run {all[^1]:F3} s ({reruns.Count} items), map done {done[^1]:F3} s"));

                // A replacement node, admitted before the next kill.
                cluster.StartNode();
                cluster.WaitForActiveNodes(ClusterNodes, TimeSpan.FromSeconds(120));
                WarmCluster(server);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        (string, object?)[] meta = [.. ClusterMeta, ("job_ms", jobMs), ("map_items", n), ("kill_after_ms", 600), ("kills", kills), ("map_no_kill_us", Math.Round(noKill * 1e6, 1)),
            ("lost_items_median", Report.Median([.. lostCounts.Select(c => (double)c).Order()]))];
        Report.Emit("cluster_node_death", ClusterImpl, "sigkill_noticed", noticed.Count, [.. noticed], "per-op",
            [.. meta, ("what", "SIGKILL of a node -> the driver's Stats show it dead")]);
        Report.Emit("cluster_node_death", ClusterImpl, "sigkill_rerun_first", first.Count, [.. first], "per-op",
            [.. meta, ("what", "SIGKILL of a node -> the first of its items starts on another node")]);
        Report.Emit("cluster_node_death", ClusterImpl, "sigkill_rerun_all", all.Count, [.. all], "per-op",
            [.. meta, ("what", "SIGKILL of a node -> the last of its items has started on another node")]);
        Report.Emit("cluster_node_death", ClusterImpl, "sigkill_map_completion", done.Count, [.. done], "per-op",
            [.. meta, ("what", "SIGKILL of a node -> MapAsync returns every result")]);
    }

    // ---------------------------------------------------------------- cluster_scale

    /// <summary>
    /// 1, 3, 6 and 10 single-worker nodes on loopback, each size in a fresh driver process (<c>peer --child
    /// cluster_scale:N</c>, so that its peak RSS and its cold start are its own): time to form, MapAsync throughput
    /// of tiny jobs, the driver's CPU time per job and memory.
    /// </summary>
    private static void ClusterScale()
    {
        StopSharedCluster(); // its processes would compete with the measured ones
        foreach (int nodes in new[] { 1, 3, 6, 10 })
        {
            RunChild(ScaleChildPrefix + nodes.ToString(CultureInfo.InvariantCulture), TimeSpan.FromMinutes(5));
        }
    }

    private static void RunChild(string variant, TimeSpan limit)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        var start = new ProcessStartInfo(exe) { UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(exe), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ParallelKit.Benchmarks.dll"));
        }

        start.ArgumentList.Add("peer");
        start.ArgumentList.Add("--child");
        start.ArgumentList.Add(variant);
        if (s_quick)
        {
            start.ArgumentList.Add("--quick");
        }

        Console.Out.Flush();
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("the child process did not start");
        if (!child.WaitForExit(limit))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"{variant} child did not finish within {limit.TotalMinutes:F0} minutes");
        }

        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"{variant} child exited with code {child.ExitCode}");
        }
    }

    /// <summary>The 1-minute load average of the host (/proc/loadavg): how many runnable threads shared its cores.</summary>
    private static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException)
        {
            return double.NaN;
        }
    }

    private static int RunClusterScaleChild(int nodes)
    {
        try
        {
            if (Environment.GetEnvironmentVariable("PK_BENCH_IDLE_SECONDS") is { } idle)
            {
                // Diagnostics only: an idle cluster, the CPU share of the driver and each node every 5 s.
                IdleChild(nodes, int.Parse(idle, CultureInfo.InvariantCulture));
                return 0;
            }

            ClusterScaleChild(nodes);
            return 0;
        }
        catch (Exception ex)
        {
            Report.Log($"!! cluster_scale/{nodes} failed: {ex}");
            return 1;
        }
    }

    private static void IdleChild(int nodes, int seconds)
    {
        LoopbackCluster cluster = LoopbackCluster.StartAsync(nodes, 1, FailureDetection.Fast).GetAwaiter().GetResult();
        try
        {
            WarmCluster(cluster.Server);
            int[] pids = [Environment.ProcessId, .. cluster.Nodes.Select(p => p.Pid)];
            double[] last = [.. pids.Select(LoopbackCluster.CpuSeconds)];
            for (int t = 5; t <= seconds; t += 5)
            {
                Thread.Sleep(5000);
                double[] now = [.. pids.Select(LoopbackCluster.CpuSeconds)];
                Report.Log(string.Create(CultureInfo.InvariantCulture,
                    $"idle {t,3} s: CPU share driver {(now[0] - last[0]) / 5:F3}, nodes {string.Join(" ", now.Skip(1).Zip(last.Skip(1), (a, b) => ((a - b) / 5).ToString("F3", CultureInfo.InvariantCulture)))}; load {LoadAverage()}"));
                last = now;
            }
        }
        finally
        {
            cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void ClusterScaleChild(int nodes)
    {
        double rssStart = ProcStatusMb("self", "VmRSS");
        LoopbackCluster cluster = LoopbackCluster.StartAsync(nodes, 1, FailureDetection.Fast).GetAwaiter().GetResult();
        try
        {
            JobServer server = cluster.Server;
            double rssFormed = ProcStatusMb("self", "VmRSS");
            (string, object?)[] meta = [("nodes", nodes), ("workers_per_node", 1), ("failure_detection", "Fast"), ("host_cores", Environment.ProcessorCount)];
            Report.Log(string.Create(CultureInfo.InvariantCulture, $"   cluster_scale {nodes}: driver listening {cluster.DriverListeningSeconds:F2} s, formed {cluster.FormSeconds:F2} s"));
            Report.Emit("cluster_scale", ClusterImpl, $"form_{nodes}_nodes", 1, [cluster.FormSeconds], "per-op",
                [.. meta, ("driver_listening_us", Math.Round(cluster.DriverListeningSeconds * 1e6, 1)), ("rss_formed_mb", rssFormed),
                 ("driver_cpu_s_at_form", cluster.DriverCpuSecondsAtForm), ("node_cpu_s_at_form_median", Report.Median([.. cluster.NodeCpuSecondsAtForm.Order()])),
                 ("host_load_avg_1m", LoadAverage()),
                 ("what", "ClusterJobServer.StartAsync (driver silo) until MinNodes nodes are admitted; nodes launched when the driver's silo port listens")]);

            WarmCluster(server);

            int n = s_quick ? 200_000 : 1_000_000;
            int reps = 3;
            int[] items = Enumerable.Range(0, n).ToArray();
            TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            var times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                int[] res = server.MapAsync(items, static i => BenchJobs.Jobs.Inc(i)).GetAwaiter().GetResult();
                times[r] = Seconds(t0, Stopwatch.GetTimestamp()) / n;
                Check(res.Length == n && res[^1] == n, "scale map");
            }

            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            long alloc1 = GC.GetTotalAllocatedBytes(precise: true);

            // Idle cost once the maps are done (start-up JIT settled): membership (probes, heartbeats, table reads; the
            // driver holds the table with localhost membership) and timers, in CPU seconds per second of the driver
            // and of all nodes together, no jobs running.
            const double IdleSeconds = 3;
            double driverCpu0 = LoopbackCluster.CpuSeconds(Environment.ProcessId);
            double nodesCpu0 = cluster.Nodes.Sum(p => LoopbackCluster.CpuSeconds(p.Pid));
            Thread.Sleep(TimeSpan.FromSeconds(IdleSeconds));
            double driverIdle = (LoopbackCluster.CpuSeconds(Environment.ProcessId) - driverCpu0) / IdleSeconds;
            double nodesIdle = (cluster.Nodes.Sum(p => LoopbackCluster.CpuSeconds(p.Pid)) - nodesCpu0) / IdleSeconds;

            double wall = times.Sum() * n;
            double[] nodeRss = [.. cluster.Nodes.Select(p => p.RssMb()).Where(v => !double.IsNaN(v))];
            JobServerStats stats = server.Stats;
            string spread = string.Join(", ", stats.Nodes!.Where(s => s.State == NodeState.Active).Select(s => s.JobsCompleted.ToString(CultureInfo.InvariantCulture)));
            Report.Emit("cluster_scale", ClusterImpl, $"map_tiny_{nodes}_nodes", n, times, "batch",
                [.. meta,
                 ("driver_cpu_us_per_job", Math.Round(cpu / (n * (double)reps) * 1e6, 4)),
                 ("driver_cpu_share", Math.Round(cpu / wall, 3)),
                 ("driver_idle_cpu_share", Math.Round(driverIdle, 4)), ("nodes_idle_cpu_share", Math.Round(nodesIdle, 4)),
                 ("driver_alloc_bytes_per_job", Math.Round((alloc1 - alloc0) / (n * (double)reps), 1)),
                 ("rss_start_mb", rssStart), ("rss_formed_mb", rssFormed), ("rss_after_mb", ProcStatusMb("self", "VmRSS")), ("peak_rss_mb", ProcStatusMb("self", "VmHWM")),
                 ("node_rss_mb_median", nodeRss.Length > 0 ? Report.Median([.. nodeRss.Order()]) : null),
                 ("jobs_per_node", "[" + spread + "]"),
                 ("what", "MapAsync(range(n), i => Jobs.Inc(i)) on the driver, n = 1M (200k quick); driver_cpu_share = driver CPU seconds / wall seconds; *_idle_cpu_share: CPU seconds per second over 3 s with no jobs")]);
        }
        finally
        {
            cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
