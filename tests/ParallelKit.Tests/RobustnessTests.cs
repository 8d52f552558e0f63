using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Regression tests for races and edge cases found in review.</summary>
public sealed class RobustnessTests
{
    [Fact]
    public async Task A_job_with_its_own_timeout_queued_behind_cheap_batched_jobs_still_times_out()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        await server.MapAsync(Enumerable.Range(0, 50), i => TestJobs.Jobs.Add(i, 1)); // teach the cost model that Add is cheap
        Job<int> blocker = server.Submit(TestJobs.Jobs.Sleep(300));
        Job<int>[] cheap = [.. Enumerable.Range(0, 8).Select(i => server.Submit(TestJobs.Jobs.Add(i, 1)))];
        Job<int> hang = server.Submit(TestJobs.Jobs.Sleep(60_000), TimeSpan.FromSeconds(1));

        await Assert.ThrowsAsync<JobTimeoutException>(async () => await hang).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, await blocker);
        Assert.Equal(Enumerable.Range(1, 8), await Task.WhenAll(cheap.Select(j => j.AsTask())));
    }

    [Fact]
    public async Task Cancelling_right_after_submitting_always_ends_the_job()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromSeconds(2) });
        for (int i = 0; i < 20; i++)
        {
            using var cts = new CancellationTokenSource();
            Job<int> job = server.Submit(TestJobs.Jobs.WaitForCancellationAsync(600), cts.Token);
            if (i % 2 == 1)
            {
                await Task.Delay(i);
            }

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await job).WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2)));
    }

    [Fact]
    public async Task A_progress_handler_that_throws_fails_the_map_not_the_server()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            server.MapAsync(Enumerable.Range(0, 100), i => TestJobs.Jobs.Increment(i), new ThrowingProgress())).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("progress handler failure (expected by the test)", error.Message);
        Assert.Equal(5, await server.Submit(TestJobs.Jobs.Add(2, 3)));
    }

    [Fact]
    public async Task Disposing_a_thread_server_cancels_running_jobs_and_fails_them_as_disposed()
    {
        var server = JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, Workers = 1, ShutdownTimeout = TimeSpan.FromMinutes(5) });
        Job<int> running = server.Submit(TestJobs.Jobs.WaitForCancellationAsync(600));
        while (running.Status == JobStatus.Queued)
        {
            await Task.Delay(5);
        }

        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await running);
    }

    [Fact]
    public async Task Disposing_a_process_server_fails_a_token_observing_job_as_disposed_not_cancelled()
    {
        var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<int> running = server.Submit(TestJobs.Jobs.WaitForCancellationAsync(600));
        while (running.Status == JobStatus.Queued)
        {
            await Task.Delay(5);
        }

        await Task.Delay(200); // let the worker start the job
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await running);
    }

    [Fact]
    public void Time_limits_beyond_what_a_timer_can_hold_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { ShutdownTimeout = TimeSpan.MaxValue }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { JobTimeout = TimeSpan.FromDays(400) }));
    }

    private sealed class ThrowingProgress : IProgress<MapProgress>
    {
        public void Report(MapProgress value) => throw new InvalidOperationException("progress handler failure (expected by the test)");
    }
}
