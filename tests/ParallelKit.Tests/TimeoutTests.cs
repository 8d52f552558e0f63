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
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, JobTimeout = TimeSpan.FromMilliseconds(500) });
        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Job<int> stuck = server.Submit(TestJobs.Jobs.Sleep(60_000));
        var error = await Assert.ThrowsAsync<JobTimeoutException>(async () => await stuck).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(500), error.Timeout);
        Assert.Equal("ParallelKit.Tests.TestJobs.Sleep", error.JobName);
        Assert.Equal(JobStatus.Failed, stuck.Status);

        Assert.Equal(7, await server.Submit(TestJobs.Jobs.Add(3, 4)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
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
    public void A_non_positive_timeout_is_rejected_up_front()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { JobTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { Workers = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { MaxAttempts = 0 }));
    }
}
