using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Tests.JobLibrary;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Jobs on worker processes: the test executable relaunched as workers.</summary>
public sealed class ProcessBackendTests
{
    private static JobServerOptions TwoWorkers => new() { Workers = 2 };

    [Fact]
    public async Task Workers_start_with_their_runtime_settings_and_hide_them_from_the_processes_their_jobs_start()
    {
        // Only where the user has not set them (this test process has not): the parent's own choice would be kept.
        Assert.Null(Environment.GetEnvironmentVariable("DOTNET_TieredPGO"));
        Assert.Null(Environment.GetEnvironmentVariable("DOTNET_TC_CallCountingDelayMs"));
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Assert.Equal("-|0", await server.Submit(TestJobs.Jobs.ReadVariable("DOTNET_TieredPGO")));
        Assert.Equal("-|0", await server.Submit(TestJobs.Jobs.ReadVariable("DOTNET_TC_CallCountingDelayMs")));
        Assert.Equal("-|TC_CallCountingDelayMs,TieredPGO", await server.Submit(TestJobs.Jobs.ReadVariable("PARALLELKIT_WORKER_TUNED")));
    }

    [Fact]
    public async Task Jobs_run_in_other_processes_and_return_results()
    {
        await using var server = JobServer.Start(TwoWorkers);
        Job<int> sum = server.Submit(TestJobs.Jobs.Add(2, 3));
        Job<int> pid = server.Submit(TestJobs.Jobs.CurrentProcessId());

        Assert.Equal(5, await sum);
        int workerPid = await pid;
        Assert.NotEqual(Environment.ProcessId, workerPid);
        Assert.Equal(JobStatus.Completed, sum.Status);
        Assert.InRange(pid.WorkerId, 0, 1);
        Assert.Equal(JobBackend.Processes, server.Backend);
    }

    [Fact]
    public async Task Records_strings_collections_and_many_parameters_round_trip()
    {
        await using var server = JobServer.Start(TwoWorkers);
        RangeSummary summary = await server.Submit(TestJobs.Jobs.Summarize(new Range(0, 100)));
        Assert.Equal(new RangeSummary(0, 100, 25, 1060), summary);
        Assert.Equal("abab", await server.Submit(TestJobs.Jobs.Echo("ab", 2)));
        Assert.Equal(21L, await server.Submit(TestJobs.Jobs.SumArray([1, 2, 3], [4, 5, 6])));
        var when = new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc);
        int many = await server.Submit(TestJobs.Jobs.Many(1, 2, 3.5, "four", true, [1, 2], Guid.NewGuid(), when, 'A', 7m));
        Assert.Equal(1 + 2 + 3 + 4 + 1 + 2 + 1 + 23 + 65 + 7, many);
        Assert.Equal("Inner", await server.Submit(Outer.Inner.Jobs.Where()));
    }

    [Fact]
    public async Task Async_void_and_task_jobs_complete()
    {
        await using var server = JobServer.Start(TwoWorkers);
        Assert.Equal(42, await server.Submit(TestJobs.Jobs.DoubleLaterAsync(21)));
        Assert.Equal("HI", await server.Submit(TestJobs.Jobs.UpperAsync("hi")));
        Job touch = server.Submit(TestJobs.Jobs.TouchVoid());
        await touch;
        Assert.Equal(JobStatus.Completed, touch.Status);
        await server.Submit(TestJobs.Jobs.DelayAsync(5));
    }

    [Fact]
    public async Task Jobs_declared_in_a_referenced_library_run_in_workers()
    {
        await using var server = JobServer.Start(TwoWorkers);
        (long product, int pid) = await server.Submit(LibraryJobs.Jobs.Multiply(6, 7));
        Assert.Equal(42, product);
        Assert.NotEqual(Environment.ProcessId, pid);
    }

    [Fact]
    public async Task Two_thousand_concurrent_submits_all_return_the_right_result()
    {
        await using var server = JobServer.Start(TwoWorkers);
        Job<int>[] jobs = [.. Enumerable.Range(0, 2000).Select(i => server.Submit(TestJobs.Jobs.Add(i, i)))];
        int[] results = await Task.WhenAll(jobs.Select(j => j.AsTask()));
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(2 * i, results[i]);
        }

        Assert.Equal(2000, server.Stats.TotalJobs);
    }

    [Fact]
    public async Task Submits_from_many_threads_at_once_all_complete()
    {
        await using var server = JobServer.Start(TwoWorkers);
        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var mine = new List<Job<int>>();
            for (int i = 0; i < 250; i++)
            {
                mine.Add(server.Submit(TestJobs.Jobs.Add(t * 1000, i)));
            }

            for (int i = 0; i < mine.Count; i++)
            {
                Assert.Equal((t * 1000) + i, await mine[i]);
            }
        }));
        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task A_job_exception_fails_only_that_job_with_the_remote_details()
    {
        await using var server = JobServer.Start(TwoWorkers);
        Job<int> bad = server.Submit(TestJobs.Jobs.Throw("boom"));
        var error = await Assert.ThrowsAsync<JobFailedException>(async () => await bad);
        Assert.Equal("System.InvalidOperationException", error.RemoteType);
        Assert.Equal("boom", error.RemoteMessage);
        Assert.Contains("TestJobs.Throw", error.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Equal("ParallelKit.Tests.TestJobs.Throw", error.JobName);
        Assert.Equal(JobStatus.Failed, bad.Status);

        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2)));
        Assert.Equal(1, server.Stats.TotalFailed);
    }

    [Fact]
    public async Task MapAsync_returns_results_in_order_and_reports_progress()
    {
        await using var server = JobServer.Start(TwoWorkers);
        var reports = new List<MapProgress>();
        var progress = new SynchronousProgress<MapProgress>(p => { lock (reports) { reports.Add(p); } });
        int[] items = [.. Enumerable.Range(0, 10_000)];
        int[] results = await server.MapAsync(items, i => TestJobs.Jobs.Increment(i), progress);

        Assert.Equal(items.Select(i => i + 1), results);
        Assert.NotEmpty(reports);
        Assert.Equal(new MapProgress(10_000, 10_000), reports.MaxBy(r => r.Completed));
        Assert.True(reports.Count > 1, "a map of 10,000 items travels in several chunks");
    }

    [Fact]
    public async Task MapAsync_counts_primes_like_the_python_baseline()
    {
        await using var server = JobServer.Start(TwoWorkers);
        const int limit = 200_000;
        const int chunks = 64;
        var ranges = Enumerable.Range(0, chunks).Select(c => (From: c * (limit / chunks), To: c == chunks - 1 ? limit : (c + 1) * (limit / chunks)));
        int[] counts = await server.MapAsync(ranges, r => TestJobs.Jobs.CountPrimes(r.From, r.To));
        Assert.Equal(17_984, counts.Sum());
    }

    [Fact]
    public async Task A_failing_map_item_fails_the_map()
    {
        await using var server = JobServer.Start(TwoWorkers);
        var error = await Assert.ThrowsAsync<JobFailedException>(() =>
            server.MapAsync(Enumerable.Range(0, 100), i => i == 57 ? TestJobs.Jobs.Throw("item 57") : TestJobs.Jobs.Increment(i)));
        Assert.Equal("item 57", error.RemoteMessage);
        Assert.Equal("ParallelKit.Tests.TestJobs.Throw (map item 57)", error.JobName);
    }

    [Fact]
    public async Task Cancelling_a_running_job_cancels_its_token_in_the_worker()
    {
        await using var server = JobServer.Start(TwoWorkers);
        using var cts = new CancellationTokenSource();
        Job<int> job = server.Submit(TestJobs.Jobs.WaitForCancellationAsync(60), cts.Token);
        while (job.Status == JobStatus.Queued)
        {
            await Task.Delay(10);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await job).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Canceled, job.Status);
    }

    [Fact]
    public async Task Cancelling_a_queued_job_drops_it()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<int> busy = server.Submit(TestJobs.Jobs.Sleep(300));
        using var cts = new CancellationTokenSource();
        Job<int> queued = server.Submit(TestJobs.Jobs.Add(1, 1), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queued);
        Assert.Equal(JobStatus.Canceled, queued.Status);
        Assert.NotEqual(0, await busy);
        Assert.Equal(1, server.Stats.TotalJobs);
    }

    [Fact]
    public async Task Disposing_with_jobs_in_flight_fails_them_and_does_not_hang()
    {
        var server = JobServer.Start(new JobServerOptions { Workers = 1, ShutdownTimeout = TimeSpan.FromMilliseconds(500) });
        Job<int> running = server.Submit(TestJobs.Jobs.Sleep(30_000));
        Job<int> queued = server.Submit(TestJobs.Jobs.Add(1, 2));
        while (running.Status == JobStatus.Queued)
        {
            await Task.Delay(10);
        }

        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await running);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await queued);
        Assert.Throws<ObjectDisposedException>(() => { server.Submit(TestJobs.Jobs.Add(1, 2)); });
        Assert.All(server.Stats.Workers, w => Assert.False(w.IsAlive));
    }

    [Fact]
    public async Task Disposing_right_after_start_does_not_wait_for_the_shutdown_timeout()
    {
        var server = JobServer.Start(new JobServerOptions { Workers = 2, ShutdownTimeout = TimeSpan.FromMinutes(5) });
        int[] pids = [.. server.Stats.Workers.Select(w => w.ProcessId)];
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        foreach (int pid in pids)
        {
            Assert.False(System.IO.Directory.Exists($"/proc/{pid}"), $"worker process {pid} is still there after DisposeAsync");
        }
    }

    [Fact]
    public async Task Dispose_leaves_no_worker_process_behind()
    {
        int[] pids;
        await using (var server = JobServer.Start(TwoWorkers))
        {
            await server.MapAsync(Enumerable.Range(0, 100), i => TestJobs.Jobs.Increment(i));
            pids = [.. server.Stats.Workers.Select(w => w.ProcessId)];
        }

        foreach (int pid in pids)
        {
            Assert.False(System.IO.Directory.Exists($"/proc/{pid}"), $"worker process {pid} is still there after DisposeAsync");
        }
    }

    [Fact]
    public async Task A_worker_that_dies_mid_job_is_replaced_and_its_job_fails_clearly()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        var error = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.Crash(3)))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobFailedException.WorkerCrashed, error.RemoteType);
        Assert.Contains("exit code 3", error.RemoteMessage, StringComparison.Ordinal);

        Assert.Equal(5, await server.Submit(TestJobs.Jobs.Add(2, 3)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, server.Stats.WorkerRestarts);
    }

    [Fact]
    public async Task A_worker_killed_by_FailFast_is_reported_with_its_signal_and_replaced()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        var error = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.FailFast("fail fast (expected by the test)")))
            .WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(JobFailedException.WorkerCrashed, error.RemoteType);
        Assert.Contains("SIGABRT", error.RemoteMessage, StringComparison.Ordinal);
        Assert.Equal(4, await server.Submit(TestJobs.Jobs.Add(2, 2)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_job_whose_worker_died_is_retried_when_attempts_remain()
    {
        string marker = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pk-retry-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = JobServer.Start(new JobServerOptions { Workers = 2, MaxAttempts = 2 });
            int pid = await server.Submit(TestJobs.Jobs.KillSelfOnce(marker)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotEqual(Environment.ProcessId, pid);
            Assert.Equal(1, server.Stats.Retries);
        }
        finally
        {
            System.IO.File.Delete(marker);
        }
    }

    [Fact]
    public async Task Idle_workers_all_take_work_from_one_map()
    {
        await using var server = JobServer.Start(TwoWorkers);
        await server.WaitForConnectedWorkersAsync(2);
        int[] pids = await server.MapAsync(Enumerable.Range(0, 8), _ => TestJobs.Jobs.Sleep(100));
        Assert.Equal(2, pids.Distinct().Count());
        Assert.All(server.Stats.Workers, w => Assert.True(w.JobCount > 0, $"worker {w.WorkerId} got no work"));
    }

    [Fact]
    public async Task A_job_marked_Retry_false_fails_instead_of_running_again()
    {
        string marker = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pk-noretry-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = JobServer.Start(new JobServerOptions { Workers = 2, MaxAttempts = 3 });
            var error = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.KillSelfOnceNoRetry(marker)))
                .WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(JobFailedException.WorkerCrashed, error.RemoteType);
            Assert.Contains("Retry = false", error.RemoteMessage, StringComparison.Ordinal);
            Assert.Equal(0, server.Stats.Retries);
        }
        finally
        {
            System.IO.File.Delete(marker);
        }
    }

    [Fact]
    public async Task Stats_print_the_pp_table()
    {
        await using var server = JobServer.Start(TwoWorkers);
        await server.MapAsync(Enumerable.Range(0, 50), i => TestJobs.Jobs.Increment(i));
        string table = server.Stats.ToString();
        Assert.Contains("Job execution statistics:", table, StringComparison.Ordinal);
        Assert.Contains("job count | % of all jobs | job time sum | time per job", table, StringComparison.Ordinal);
        Assert.Contains("Time elapsed since server creation", table, StringComparison.Ordinal);
        Assert.Equal(50, server.Stats.TotalJobs);
    }

    /// <summary>An IProgress that reports on the calling thread, so the test sees every report before the map's task completes.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
