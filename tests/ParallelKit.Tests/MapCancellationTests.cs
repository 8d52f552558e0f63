using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Cancelling a map stops its chunks that are already running in workers, not only those still queued.</summary>
public sealed class MapCancellationTests
{
    [Fact]
    public async Task Cancelling_a_map_cancels_the_tokens_of_its_running_chunks()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        await server.WaitForConnectedWorkersAsync(2);
        using var cancel = new CancellationTokenSource();

        // Two items, two workers: each item is a chunk of its own, and both run at once.
        Task<int[]> map = server.MapAsync(Enumerable.Range(0, 2), _ => TestJobs.Jobs.WaitForCancellationAsync(600), cancellationToken: cancel.Token);
        await WaitUntilRunningAsync(server, 2);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await map);

        // The workers are free again: the jobs saw their tokens cancelled and returned (nobody was killed).
        Job<int> next = server.Submit(TestJobs.Jobs.Increment(1));
        await next.Completion.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(2, next.Result);
        await WaitUntilAsync(() => server.Stats.TotalCanceled == 2);
        Assert.Equal(0, server.Stats.WorkerRestarts);
    }

    [Fact]
    public async Task A_running_chunk_that_ignores_its_token_is_killed_after_the_grace_period()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, CancellationGracePeriod = TimeSpan.FromMilliseconds(200) });
        await server.WaitForConnectedWorkersAsync(1);
        using var cancel = new CancellationTokenSource();

        Task<int[]> map = server.MapAsync([600_000], ms => TestJobs.Jobs.Sleep(ms), cancellationToken: cancel.Token);
        await WaitUntilRunningAsync(server, 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await map);

        // The next job does not wait ten minutes behind the cancelled one: its worker is replaced.
        Job<int> next = server.Submit(TestJobs.Jobs.Increment(1));
        await next.Completion.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(2, next.Result);
        Assert.True(server.Stats.WorkerRestarts >= 1);
        Assert.Equal(1, server.Stats.TotalCanceled);
    }

    private static Task WaitUntilRunningAsync(JobServer server, int running) => WaitUntilAsync(() => server.Stats.RunningJobs >= running);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(120);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "not reached within 120 s");
    }
}
