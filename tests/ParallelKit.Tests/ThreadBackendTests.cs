using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>The threads backend: the same job calls, run in this process with nothing marshaled.</summary>
public sealed class ThreadBackendTests
{
    private static JobServerOptions Threads(int workers = 2) => new() { Backend = JobBackend.Threads, Workers = workers };

    [Fact]
    public async Task Jobs_run_in_this_process()
    {
        await using var server = JobServer.Start(Threads());
        Assert.Equal(JobBackend.Threads, server.Backend);
        Assert.Equal(Environment.ProcessId, await server.Submit(TestJobs.Jobs.CurrentProcessId()));
        Assert.Equal(7, await server.Submit(TestJobs.Jobs.Add(3, 4)));
        Assert.Equal(new RangeSummary(0, 10, 4, 17), await server.Submit(TestJobs.Jobs.Summarize(new Range(0, 10))));
    }

    [Fact]
    public async Task Void_jobs_run_in_process_and_share_its_memory()
    {
        await using var server = JobServer.Start(Threads());
        int before = TestJobs.VoidRuns;
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => server.Submit(TestJobs.Jobs.TouchVoid()).Completion));
        Assert.True(TestJobs.VoidRuns >= before + 10, "in-process jobs see this process's static state");
    }

    [Fact]
    public async Task Two_thousand_concurrent_submits_complete_correctly()
    {
        await using var server = JobServer.Start(Threads());
        Job<int>[] jobs = [.. Enumerable.Range(0, 2000).Select(i => server.Submit(TestJobs.Jobs.Add(i, 1)))];
        int[] results = await Task.WhenAll(jobs.Select(j => j.AsTask()));
        Assert.Equal(Enumerable.Range(1, 2000), results);
        Assert.Equal(2000, server.Stats.TotalJobs);
    }

    [Fact]
    public async Task Exceptions_come_back_as_JobFailedException_with_the_original_inside()
    {
        await using var server = JobServer.Start(Threads());
        var error = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.Throw("thread boom")));
        Assert.Equal("System.InvalidOperationException", error.RemoteType);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(2, await server.Submit(TestJobs.Jobs.Add(1, 1)));
    }

    [Fact]
    public async Task Cancellation_reaches_the_job_token()
    {
        await using var server = JobServer.Start(Threads());
        using var cts = new CancellationTokenSource();
        Job<int> job = server.Submit(TestJobs.Jobs.WaitForCancellationAsync(60), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await job).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Canceled, job.Status);
    }

    [Fact]
    public async Task MapAsync_keeps_order()
    {
        await using var server = JobServer.Start(Threads());
        int[] results = await server.MapAsync(Enumerable.Range(0, 5000), i => TestJobs.Jobs.Increment(i));
        Assert.Equal(Enumerable.Range(1, 5000), results);
    }

    [Fact]
    public async Task At_most_Workers_jobs_run_at_once()
    {
        await using var server = JobServer.Start(Threads(workers: 1));
        Job<int>[] jobs = [.. Enumerable.Range(0, 4).Select(_ => server.Submit(TestJobs.Jobs.Sleep(20)))];
        await Task.WhenAll(jobs.Select(j => j.AsTask()));
        Assert.All(jobs, j => Assert.Equal(0, j.WorkerId));
    }
}
