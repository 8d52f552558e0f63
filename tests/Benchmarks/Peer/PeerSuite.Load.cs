using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// C#-only load and reliability measurements (no Python equivalent, so their own <c>bench</c> names):
/// <c>load</c> (a 1M-item map and 10k pending submits, with time and peak RSS) and <c>reliability</c>
/// (how fast a job whose worker was SIGKILLed runs again on another worker).
/// </summary>
public static partial class PeerSuite
{
    private const string MapLoad = "map_1m_tiny_jobs";
    private const string PendingLoad = "submit_10k_pending";

    private const string RssMethod =
        "VmHWM/VmRSS from /proc/self/status of a fresh child process (peer --child) that ran only this bench: server start, warm-up, timed reps";

    // ---------------------------------------------------------------- load

    /// <summary>
    /// Each load measurement runs in a fresh child process of this executable, so that the child's
    /// <c>VmHWM</c> (peak RSS, which cannot be reset) belongs to that measurement alone. The child
    /// inherits stdout and prints its JSON line itself.
    /// </summary>
    private static void Load()
    {
        foreach (string variant in new[] { MapLoad, PendingLoad })
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
            if (!child.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                child.Kill(entireProcessTree: true);
                throw new TimeoutException($"load/{variant} child did not finish within 5 minutes");
            }

            if (child.ExitCode != 0)
            {
                throw new InvalidOperationException($"load/{variant} child exited with code {child.ExitCode}");
            }
        }
    }

    private static int RunLoadChild(string variant)
    {
        try
        {
            switch (variant)
            {
                case MapLoad:
                    MapLoadChild();
                    return 0;
                case PendingLoad:
                    PendingLoadChild();
                    return 0;
                default:
                    Report.Log($"peer --child: unknown measurement '{variant}' (expected {MapLoad} or {PendingLoad})");
                    return 2;
            }
        }
        catch (Exception ex)
        {
            Report.Log($"!! load/{variant} failed: {ex}");
            return 1;
        }
    }

    /// <summary><c>MapAsync</c> of 1,000,000 <c>Inc</c> jobs on a warm 2-worker process server.</summary>
    private static void MapLoadChild()
    {
        int n = s_quick ? 100_000 : 1_000_000;
        int reps = 3;
        int warmN = Math.Max(10, n / 10);
        int[] items = Enumerable.Range(0, n).ToArray();
        int[] warmItems = Enumerable.Range(0, warmN).ToArray();

        using JobServer server = StartWarm(JobBackend.Processes);
        int[] warm = server.MapAsync(warmItems, static i => BenchJobs.Jobs.Inc(i)).GetAwaiter().GetResult();
        Check(warm[^1] == warmN, "warm-up map");

        double rssBefore = ProcStatusMb("self", "VmRSS");
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int[] res = server.MapAsync(items, static i => BenchJobs.Jobs.Inc(i)).GetAwaiter().GetResult();
            long t1 = Stopwatch.GetTimestamp();
            Check(res.Length == n && res[0] == 1 && res[^1] == n, "1M map");
            times[r] = Seconds(t0, t1) / n;
        }

        long alloc1 = GC.GetTotalAllocatedBytes(precise: true);
        double rssAfter = ProcStatusMb("self", "VmRSS");
        double peak = ProcStatusMb("self", "VmHWM");
        double workerPeak = WorkerPeakRssMb(server);

        Report.Emit("load", "csharp-parallelkit-processes", MapLoad, n, times, "batch",
            ("workers", Workers),
            ("peak_rss_mb", peak),
            ("rss_before_mb", rssBefore),
            ("rss_after_mb", rssAfter),
            ("worker_peak_rss_mb", workerPeak),
            ("parent_alloc_bytes_per_job", Math.Round((double)(alloc1 - alloc0) / ((double)n * reps), 1)),
            ("rss_method", RssMethod),
            ("what", "MapAsync(1M ints, i => Jobs.Inc(i)) on a warm 2-worker process server"));
    }

    /// <summary>10,000 <c>Submit</c>s of a 1 ms job outstanding at once: all submitted, then all awaited.</summary>
    private static void PendingLoadChild()
    {
        int n = s_quick ? 1_000 : 10_000;
        int reps = s_quick ? 2 : 3;
        const int jobMs = 1;

        using JobServer server = StartWarm(JobBackend.Processes);
        RunPending(server, Math.Max(10, n / 10), jobMs, out _);

        double rssBefore = ProcStatusMb("self", "VmRSS");
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        var times = new double[reps];
        var submitPhase = new double[reps];
        var busyPerJob = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            TimeSpan busy0 = server.Stats.TotalBusyTime;
            times[r] = RunPending(server, n, jobMs, out double submitSeconds) / n;
            submitPhase[r] = submitSeconds / n;
            busyPerJob[r] = (server.Stats.TotalBusyTime - busy0).TotalSeconds / n;
        }

        long alloc1 = GC.GetTotalAllocatedBytes(precise: true);
        double rssAfter = ProcStatusMb("self", "VmRSS");
        double peak = ProcStatusMb("self", "VmHWM");
        double workerPeak = WorkerPeakRssMb(server);
        double busy = Report.Median([.. busyPerJob.Order()]);

        Report.Emit("load", "csharp-parallelkit-processes", PendingLoad, n, times, "batch",
            ("workers", Workers),
            ("job_ms", jobMs),
            ("submit_us_per_job", Math.Round(Report.Median([.. submitPhase.Order()]) * 1e6, 3)),
            ("busy_us_per_job", Math.Round(busy * 1e6, 1)),
            ("ideal_us_per_job", Math.Round(busy / Workers * 1e6, 1)),
            ("peak_rss_mb", peak),
            ("rss_before_mb", rssBefore),
            ("rss_after_mb", rssAfter),
            ("worker_peak_rss_mb", workerPeak),
            ("parent_alloc_bytes_per_job", Math.Round((double)(alloc1 - alloc0) / ((double)n * reps), 1)),
            ("rss_method", RssMethod),
            ("what", "n x Submit(Jobs.SleepStamped(1)) outstanding at once, then .Result of each; ideal_us_per_job = measured job time / 2 workers"));
    }

    /// <summary>Submits <paramref name="n"/> sleep jobs, then waits for all; returns the seconds for the whole.</summary>
    private static double RunPending(JobServer server, int n, int jobMs, out double submitSeconds)
    {
        var jobs = new Job<long>[n];
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            jobs[i] = server.Submit(BenchJobs.Jobs.SleepStamped(jobMs));
        }

        long tSubmitted = Stopwatch.GetTimestamp();
        foreach (Job<long> job in jobs)
        {
            Check(job.Result > 0, "pending job");
        }

        long t1 = Stopwatch.GetTimestamp();
        submitSeconds = Seconds(t0, tSubmitted);
        return Seconds(t0, t1);
    }

    /// <summary>A <c>kB</c> line of <c>/proc/&lt;pid&gt;/status</c>, in MB (10^6 bytes); NaN if unreadable.</summary>
    internal static double ProcStatusMb(string pid, string key)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key + ":", StringComparison.Ordinal))
                {
                    string[] parts = line[(key.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    return Math.Round(long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024 / 1e6, 1);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return double.NaN;
    }

    /// <summary>The largest <c>VmHWM</c> among the server's live worker processes.</summary>
    private static double WorkerPeakRssMb(JobServer server)
    {
        double max = double.NaN;
        foreach (WorkerStats w in server.Stats.Workers.Where(w => w.IsAlive))
        {
            double v = ProcStatusMb(w.ProcessId.ToString(CultureInfo.InvariantCulture), "VmHWM");
            if (!double.IsNaN(v) && (double.IsNaN(max) || v > max))
            {
                max = v;
            }
        }

        return max;
    }

    // ---------------------------------------------------------------- reliability

    /// <summary>
    /// A 200 ms job on a 2-worker server with <c>MaxAttempts = 2</c>; 50 ms after it was handed to a worker,
    /// that worker is SIGKILLed (<c>Process.Kill</c> of its pid from <c>server.Stats.Workers</c>). Measured:
    /// kill → the job's second attempt starts on the other worker (the job reads CLOCK_MONOTONIC when it
    /// starts; the same clock as the parent's <c>Stopwatch</c>), kill → the parent shows the job off the
    /// dead worker (<c>Job.Status</c>/<c>WorkerId</c> polled every ~1 ms), and kill → <c>.Result</c> returns.
    /// </summary>
    private static void Reliability()
    {
        int n = s_quick ? 5 : 20;
        const int warmup = 2;
        const int jobMs = 200;
        const int killAfterMs = 50;

        using JobServer server = JobServer.Start(new JobServerOptions { Workers = Workers, MaxAttempts = 2 });
        var warmed = new HashSet<int>();
        var redispatch = new List<double>(n);
        var noticed = new List<double>(n);
        var completion = new List<double>(n);
        int failures = 0;
        for (int i = 0; i < warmup + n; i++)
        {
            WarmEveryLiveWorker(server, warmed);
            long retries0 = server.Stats.Retries;

            Job<long> job = server.Submit(BenchJobs.Jobs.SleepStamped(jobMs));
            long deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
            while (job.Status == JobStatus.Queued)
            {
                Check(Stopwatch.GetTimestamp() < deadline, "the job was not dispatched within 10 s");
                Thread.Yield();
            }

            long tRunning = Stopwatch.GetTimestamp();
            int victim = job.WorkerId;
            int pid = server.Stats.Workers.First(w => w.WorkerId == victim).ProcessId;
            using Process process = Process.GetProcessById(pid);
            TimeSpan wait = TimeSpan.FromMilliseconds(killAfterMs) - Stopwatch.GetElapsedTime(tRunning);
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }

            Check(!job.IsCompleted, "the 200 ms job finished before its worker was killed");
            long tKill = Stopwatch.GetTimestamp();
            process.Kill();

            // Noticed: the job was requeued (Queued) or is already running elsewhere (another WorkerId).
            long tNoticed = 0;
            while (!job.IsCompleted)
            {
                if (job.Status == JobStatus.Queued || job.WorkerId != victim)
                {
                    tNoticed = Stopwatch.GetTimestamp();
                    break;
                }

                Thread.Sleep(1);
            }

            long rerunStart;
            try
            {
                rerunStart = job.Result;
            }
            catch (Exception ex) when (ex is JobFailedException or AggregateException or InvalidOperationException)
            {
                Report.Log($"   reliability: kill {i}: the job failed instead of running again: {ex.Message}");
                failures++;
                continue;
            }

            long tDone = Stopwatch.GetTimestamp();
            Check(job.WorkerId != victim, "the job's second attempt ran on the killed worker");
            Check(server.Stats.Retries == retries0 + 1, "Stats.Retries did not count the retry");
            if (i >= warmup)
            {
                redispatch.Add(Seconds(tKill, rerunStart));
                completion.Add(Seconds(tKill, tDone));
                if (tNoticed != 0)
                {
                    noticed.Add(Seconds(tKill, tNoticed));
                }
            }
        }

        if (redispatch.Count == 0)
        {
            throw new InvalidOperationException($"no kill was followed by a retry ({failures} failures)");
        }

        (string, object?)[] common =
        [
            ("workers", Workers), ("max_attempts", 2), ("job_ms", jobMs), ("kill_after_ms", killAfterMs),
            ("kills", redispatch.Count), ("failed", failures), ("worker_restarts", server.Stats.WorkerRestarts),
        ];
        Report.Emit("reliability", "csharp-parallelkit-processes", "worker_death_redispatch", redispatch.Count, [.. redispatch], "per-op",
            [.. common, ("what", "Process.Kill(worker) -> the job's second attempt starts on the other worker (clock read in the job)")]);
        if (noticed.Count > 0)
        {
            Report.Emit("reliability", "csharp-parallelkit-processes", "worker_death_noticed", noticed.Count, [.. noticed], "per-op",
                [.. common, ("what", "Process.Kill(worker) -> Job.Status is Queued or Job.WorkerId changed (polled every ~1 ms)")]);
        }

        Report.Emit("reliability", "csharp-parallelkit-processes", "worker_death_kill_to_completion", completion.Count, [.. completion], "per-op",
            [.. common, ("what", "Process.Kill(worker) -> job.Result returns; includes the second attempt's 200 ms")]);
    }

    /// <summary>
    /// Waits until the server has <see cref="Workers"/> live workers and each has run a job (the replacement
    /// of a killed worker starts cold), so that the measured second attempt never pays JIT.
    /// </summary>
    private static void WarmEveryLiveWorker(JobServer server, HashSet<int> warmed)
    {
        long deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (true)
        {
            Check(Stopwatch.GetTimestamp() < deadline, "the workers were not all live and warm within 30 s");
            int[] live = [.. server.Stats.Workers.Where(w => w.IsAlive).Select(w => w.WorkerId)];
            if (live.Length < Workers)
            {
                Thread.Sleep(2);
                continue;
            }

            if (live.All(warmed.Contains))
            {
                return;
            }

            var pair = new Job<long>[Workers];
            for (int k = 0; k < pair.Length; k++)
            {
                pair[k] = server.Submit(BenchJobs.Jobs.SleepStamped(2));
            }

            foreach (Job<long> job in pair)
            {
                job.Wait();
                warmed.Add(job.WorkerId);
            }
        }
    }
}
