using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Maps under MaxMessageSize and under worker deaths (issue 11, items 5 and 6, and the chaos test).</summary>
public sealed class MapReliabilityTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_map_of_results_that_together_exceed_MaxMessageSize_completes()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, MaxMessageSize = 64 * 1024 });
        byte[][] results = await server.MapAsync(Enumerable.Range(0, 2_000), _ => TestJobs.Jobs.MakeBytes(1_000)).WaitAsync(Patience);
        Assert.Equal(2_000, results.Length);
        Assert.All(results, r => Assert.Equal(1_000, r.Length));
    }

    [Fact]
    public async Task A_map_of_arguments_that_together_exceed_MaxMessageSize_completes()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, MaxMessageSize = 64 * 1024 });
        byte[][] results = await server.MapAsync(Enumerable.Range(0, 2_000), i => TestJobs.Jobs.EchoBytes(new byte[1_000 + (i % 7)])).WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, 2_000).Select(i => 1_000 + (i % 7)), results.Select(r => r.Length));
    }

    [Fact]
    public async Task Only_a_map_item_whose_result_is_too_large_by_itself_fails_and_the_error_names_it()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, MaxMessageSize = 64 * 1024 });
        var error = await Assert.ThrowsAsync<JobFailedException>(
            () => server.MapAsync(Enumerable.Range(0, 200), i => TestJobs.Jobs.MakeBytes(i == 50 ? 100_000 : 1_000))).WaitAsync(Patience);
        Assert.Contains("(map item 50)", error.JobName + " " + error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxMessageSize", error.RemoteMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_map_item_whose_arguments_are_too_large_by_themselves_fails_and_the_error_names_it()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, MaxMessageSize = 64 * 1024 });
        var error = await Assert.ThrowsAsync<JobFailedException>(
            () => server.MapAsync(Enumerable.Range(0, 200), i => TestJobs.Jobs.EchoBytes(new byte[i == 30 ? 100_000 : 1_000]))).WaitAsync(Patience);
        Assert.Equal("map item 30", error.JobName);
        Assert.Contains("MaxMessageSize", error.RemoteMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Results_a_killed_worker_already_delivered_are_kept_and_only_the_rest_runs_again()
    {
        const int Items = 120;
        const int DieAt = 40;
        using var runs = new SharedArray<int>(Items);

        // One worker, one chunk for the whole map: every item before DieAt was delivered before the worker died.
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, MaxAttempts = 2, MaxChunkSize = Items });
        int[] results = await server.MapAsync(Enumerable.Range(0, Items), i => ReliabilityJobs.Jobs.CountRun(runs, i, DieAt, 3)).WaitAsync(Patience);

        Assert.Equal(Enumerable.Range(0, Items), results);
        int[] counted = runs.ToArray();
        Assert.Equal(2, counted[DieAt]);
        Assert.All(Enumerable.Range(0, Items).Where(i => i != DieAt), i => Assert.True(counted[i] == 1, $"item {i} ran {counted[i]} times"));
        Assert.Equal(1, server.Stats.Retries);
    }

    [Fact]
    public async Task Chaos_a_map_whose_workers_are_SIGKILLed_at_random_delivers_every_result_exactly_once()
    {
        const int Items = 20_000;
        const int MaxKills = 40;
        var progress = new MaxProgress();

        // A death charges at most one item one attempt (the item heading the chunk that made no progress): with
        // more attempts than kills, the map must finish, whatever the kills hit.
        await using var server = JobServer.Start(new JobServerOptions { Workers = 3, MaxAttempts = MaxKills + 1 });
        Task<long[]> map = server.MapAsync(Enumerable.Range(0, Items), i => ReliabilityJobs.Jobs.SquareSlowly(i, 100), progress);

        // A worker SIGKILLed every 100–400 ms while the map runs, at most MaxKills times.
        var random = new Random(11);
        int kills = 0;
        while (!map.IsCompleted && kills < MaxKills)
        {
            await Task.WhenAny(map, Task.Delay(random.Next(100, 400)));
            // Serving workers only: Stats counts a worker still starting as alive, and five starts killed in a row would
            // rightly read as workers that cannot start (the server then fails work until one does).
            WorkerStats[] alive = [.. server.Stats.Workers.Where(w => w.IsAlive && !w.IsStarting && w.ProcessId > 0)];
            if (!map.IsCompleted && alive.Length > 0)
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(alive[random.Next(alive.Length)].ProcessId).Kill();
                    kills++;
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }

        long[] results = await map.WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, Items).Select(i => (long)i * i), results);
        Assert.Equal(Items, progress.Max);
        Assert.True(kills > 0, "no worker was killed: the map ended before the first kill");
    }

    /// <summary>Records the largest count a map reported: delivering a result twice would overshoot.</summary>
    private sealed class MaxProgress : IProgress<MapProgress>
    {
        private int _max;

        public int Max => Volatile.Read(ref _max);

        public void Report(MapProgress value)
        {
            int seen;
            while ((seen = Volatile.Read(ref _max)) < value.Completed && Interlocked.CompareExchange(ref _max, value.Completed, seen) != seen)
            {
            }
        }
    }
}
