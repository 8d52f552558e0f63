using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>SetWorkers: pp's set_ncpus, growing and shrinking a running server without losing work.</summary>
public sealed class ResizeTests
{
    [Fact]
    public async Task A_process_server_grows_and_shrinks_while_it_runs()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Assert.Equal(2, await server.Submit(TestJobs.Jobs.Add(1, 1)));

        server.SetWorkers(3);
        Assert.Equal(3, server.Workers);
        await server.WaitForConnectedWorkersAsync(3);
        int[] pids = await server.MapAsync(Enumerable.Range(0, 12), _ => TestJobs.Jobs.Sleep(150)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, pids.Distinct().Count());

        // Shrink while jobs run: none is lost, and the extra workers' processes exit.
        Job<int>[] running = [.. Enumerable.Range(0, 6).Select(_ => server.Submit(TestJobs.Jobs.Sleep(100)))];
        server.SetWorkers(1);
        Assert.Equal(1, server.Workers);
        await Task.WhenAll(running.Select(j => j.AsTask())).WaitAsync(TimeSpan.FromSeconds(60));

        WorkerStats[] retired = await WaitForAsync<WorkerStats[]>(() => [.. server.Stats.Workers.Where(w => !w.IsAlive)], r => r.Length == 2);
        Assert.All(retired, w => Assert.False(System.IO.Directory.Exists($"/proc/{w.ProcessId}/fd"), $"retired worker {w.WorkerId} still runs"));
        int[] after = await server.MapAsync(Enumerable.Range(0, 4), _ => TestJobs.Jobs.Sleep(1));
        Assert.Single(after.Distinct());
        Assert.Equal(0, server.Stats.WorkerRestarts);
    }

    [Fact]
    public async Task A_thread_server_grows_and_shrinks()
    {
        await using var server = JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, Workers = 1 });
        server.SetWorkers(4);
        Job<int>[] jobs = [.. Enumerable.Range(0, 8).Select(_ => server.Submit(TestJobs.Jobs.Sleep(50)))];
        await Task.WhenAll(jobs.Select(j => j.AsTask()));
        Assert.True(jobs.Select(j => j.WorkerId).Distinct().Count() > 1, "grown workers take jobs");

        server.SetWorkers(2);
        await WaitForAsync(() => server.Stats.Workers.Count(w => w.IsAlive), alive => alive == 2);
        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => server.SetWorkers(0));
    }

    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        T value = read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            value = read();
        }

        Assert.True(done(value), $"condition not reached within 30 s (last value: {value})");
        return value;
    }
}
