using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// What Python's Pool and ProcessPoolExecutor users expect of a server's life: a graceful shutdown that runs
/// what was submitted, cancelling what has not started, a per-worker initializer, and workers recycled after
/// a number of jobs.
/// </summary>
public sealed class PoolLifecycleTests
{
    [Fact]
    public async Task ShutdownAsync_refuses_new_jobs_and_runs_every_submitted_one_before_stopping()
    {
        var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<int>[] jobs = [.. Enumerable.Range(0, 5).Select(_ => server.Submit(TestJobs.Jobs.Sleep(100)))];
        Task shutdown = server.ShutdownAsync();
        Assert.Throws<InvalidOperationException>(() => { server.Submit(TestJobs.Jobs.Add(1, 2)); });
        await shutdown.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.All(jobs, job => Assert.Equal(JobStatus.Completed, job.Status));
        Assert.Throws<ObjectDisposedException>(() => { server.Submit(TestJobs.Jobs.Add(1, 2)); });
        Assert.All(server.Stats.Workers, worker => Assert.False(worker.IsAlive));
    }

    [Fact]
    public async Task ShutdownAsync_drains_the_threads_backend_too()
    {
        var server = JobServer.Start(new JobServerOptions { Workers = 1, Backend = JobBackend.Threads });
        Job[] jobs = [.. Enumerable.Range(0, 4).Select(_ => server.Submit(TestJobs.Jobs.DelayAsync(50)))];
        await server.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(jobs, job => Assert.Equal(JobStatus.Completed, job.Status));
        Assert.Throws<ObjectDisposedException>(() => { server.Submit(TestJobs.Jobs.Add(1, 2)); });
    }

    [Fact]
    public async Task ShutdownAsync_with_cancelPendingJobs_finishes_running_jobs_and_cancels_queued_ones()
    {
        var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        await server.WaitForConnectedWorkersAsync(1);
        Job<int> running = server.Submit(TestJobs.Jobs.Sleep(1500));
        Job<int>[] queued = [.. Enumerable.Range(0, 3).Select(_ => server.Submit(TestJobs.Jobs.Sleep(1500)))];
        while (running.Status == JobStatus.Queued)
        {
            await Task.Delay(10);
        }

        await server.ShutdownAsync(cancelPendingJobs: true).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(JobStatus.Completed, running.Status);
        Assert.All(queued, job => Assert.Equal(JobStatus.Canceled, job.Status));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued[0].Completion);
    }

    [Fact]
    public async Task The_worker_initializer_runs_once_in_each_worker_before_its_jobs()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, WorkerInitializer = TestJobs.Jobs.InitWorker("ready") });
        string?[] seen = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.Submit(TestJobs.Jobs.ReadInitialized()).Completion));
        Assert.All(seen, value => Assert.StartsWith("ready@", value, StringComparison.Ordinal));
        var workers = server.Stats.Workers.Select(w => w.ProcessId).ToHashSet();
        Assert.All(seen, value => Assert.Contains(int.Parse(value!["ready@".Length..], System.Globalization.CultureInfo.InvariantCulture), workers));
    }

    [Fact]
    public async Task A_failing_worker_initializer_fails_the_start_clearly()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, WorkerInitializer = TestJobs.Jobs.Throw("initializer failure (expected by the test)") });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.Submit(TestJobs.Jobs.Add(1, 2)).Completion.WaitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains("WorkerInitializer threw", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_threads_backend_refuses_an_initializer_and_a_job_limit()
    {
        Assert.Throws<ArgumentException>(() => JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, WorkerInitializer = TestJobs.Jobs.InitWorker("x") }));
        Assert.Throws<ArgumentException>(() => JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, MaxJobsPerWorker = 3 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { MaxJobsPerWorker = -1 }));
    }

    [Fact]
    public async Task A_worker_is_replaced_after_MaxJobsPerWorker_jobs()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, MaxJobsPerWorker = 2 });
        int[] pids = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => server.Submit(TestJobs.Jobs.CurrentProcessId()).Completion));
        Assert.All(pids.GroupBy(pid => pid), group => Assert.True(group.Count() <= 2, $"worker {group.Key} ran {group.Count()} jobs"));
        Assert.True(pids.Distinct().Count() >= 3);
        Assert.Equal(6, server.Stats.Workers.Sum(w => w.JobsCompleted));
    }
}
