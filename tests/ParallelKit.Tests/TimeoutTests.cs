using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>JobServerOptions.JobTimeout: a stuck job fails, the server keeps serving.</summary>
public sealed class TimeoutTests
{
    [Fact]
    public async Task A_process_job_over_its_timeout_fails_and_its_worker_is_replaced()
    {
        // The quick jobs get a long timeout of their own: a job's clock starts when it is sent, and a fresh worker's
        // first job (loading and compiling its code) can take longer than 500 ms on a loaded host.
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, JobTimeout = TimeSpan.FromMilliseconds(500) });
        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2), TimeSpan.FromSeconds(30)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Job<int> stuck = server.Submit(TestJobs.Jobs.Sleep(60_000));
        var error = await Assert.ThrowsAsync<JobTimeoutException>(async () => await stuck).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(500), error.Timeout);
        Assert.Equal("ParallelKit.Tests.TestJobs.Sleep", error.JobName);
        Assert.Equal(JobStatus.Failed, stuck.Status);

        Assert.Equal(7, await server.Submit(TestJobs.Jobs.Add(3, 4), TimeSpan.FromSeconds(30)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, server.Stats.WorkerRestarts);
    }

    [Fact]
    public async Task A_map_chunk_over_its_timeout_fails_the_map()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, JobTimeout = TimeSpan.FromMilliseconds(300) });
        await Assert.ThrowsAsync<JobTimeoutException>(() =>
            server.MapAsync(Enumerable.Range(0, 4), i => TestJobs.Jobs.Sleep(i == 3 ? 60_000 : 1))).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_thread_job_over_its_timeout_fails_and_sees_its_token_cancelled()
    {
        await using var server = JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, Workers = 1, JobTimeout = TimeSpan.FromMilliseconds(200) });
        await Assert.ThrowsAsync<JobTimeoutException>(async () => await server.Submit(TestJobs.Jobs.WaitForCancellationAsync(60)))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(5, await server.Submit(TestJobs.Jobs.Add(2, 3)));
    }

    [Fact]
    public async Task A_timeout_given_at_submit_overrides_the_server_default()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<int> stuck = server.Submit(TestJobs.Jobs.Sleep(60_000), TimeSpan.FromMilliseconds(400));
        var error = await Assert.ThrowsAsync<JobTimeoutException>(async () => await stuck).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(400), error.Timeout);
        Assert.NotEqual(0, await server.Submit(TestJobs.Jobs.Sleep(1), TimeSpan.FromSeconds(30)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Throws<ArgumentOutOfRangeException>(() => { server.Submit(TestJobs.Jobs.Add(1, 1), TimeSpan.Zero); });
    }

    [Fact]
    public async Task A_thread_job_can_have_its_own_timeout_too()
    {
        await using var server = JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, Workers = 1 });
        await Assert.ThrowsAsync<JobTimeoutException>(async () => await server.Submit(TestJobs.Jobs.WaitForCancellationAsync(60), TimeSpan.FromMilliseconds(200)))
            .WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_cancelled_job_that_ignores_its_token_is_stopped_by_killing_its_worker_after_the_grace_period()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromMilliseconds(300) });
        using var cts = new System.Threading.CancellationTokenSource();
        Job<int> stubborn = server.Submit(TestJobs.Jobs.Sleep(60_000), cts.Token); // Sleep has no token to observe
        while (stubborn.Status == JobStatus.Queued)
        {
            await Task.Delay(10);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stubborn).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Canceled, stubborn.Status);
        Assert.Equal(9, await server.Submit(TestJobs.Jobs.Add(4, 5)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, server.Stats.WorkerRestarts);
    }

    [Fact]
    public void A_non_positive_timeout_is_rejected_up_front()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { JobTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { Workers = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { MaxAttempts = 0 }));
    }

    [Fact]
    public async Task An_infinite_timeout_means_no_limit_at_submit_and_in_the_options()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, JobTimeout = TimeSpan.FromMilliseconds(300) });
        Job<int> unlimited = server.Submit(TestJobs.Jobs.Sleep(1_500), System.Threading.Timeout.InfiniteTimeSpan);
        await unlimited.AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(JobStatus.Completed, unlimited.Status);
        Assert.Equal(0, server.Stats.WorkerRestarts);

        var options = new JobServerOptions { JobTimeout = System.Threading.Timeout.InfiniteTimeSpan };
        Assert.Null(options.JobTimeout);
        await using var unlimitedServer = JobServer.Start(options);
        Assert.Equal(5, await unlimitedServer.Submit(TestJobs.Jobs.Add(2, 3), System.Threading.Timeout.InfiniteTimeSpan).AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
