using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>A stopped or wedged worker is noticed without a JobTimeout (issue 11, item 7).</summary>
public sealed class HeartbeatTests
{
    [Fact]
    public async Task A_stopped_worker_is_killed_and_its_job_runs_again_elsewhere()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, MaxAttempts = 2, HeartbeatTimeout = TimeSpan.FromSeconds(2) });
        using var started = new ProcessEvent();
        Job<int> job = server.Submit(ReliabilityJobs.Jobs.SleepLongFirstTime(started));
        Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "the job never started");
        int stopped = server.Stats.Workers.Single(w => w.IsAlive).ProcessId;
        Signal(stopped, "STOP");

        int ranIn = await job.AsTask().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.NotEqual(stopped, ranIn);
        Assert.Equal(1, server.Stats.Retries);
        Assert.Equal(1, server.Stats.WorkerRestarts);
    }

    [Fact]
    public async Task A_stopped_worker_with_no_attempts_left_fails_its_job_saying_why()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, HeartbeatTimeout = TimeSpan.FromSeconds(1) });
        using var started = new ProcessEvent();
        Job<int> job = server.Submit(ReliabilityJobs.Jobs.SleepLongFirstTime(started));
        Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "the job never started");
        Signal(server.Stats.Workers.Single(w => w.IsAlive).ProcessId, "STOP");

        var error = await Assert.ThrowsAsync<JobFailedException>(() => job.AsTask().WaitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains("heartbeat", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, await server.Submit(TestJobs.Jobs.Add(2, 3)).AsTask().WaitAsync(TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public async Task A_long_job_is_not_taken_for_a_hung_worker()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, HeartbeatTimeout = TimeSpan.FromSeconds(1) });
        await server.Submit(TestJobs.Jobs.Sleep(4_000)).AsTask().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(0, server.Stats.WorkerRestarts);
    }

    [Fact]
    public void A_heartbeat_timeout_too_short_to_hold_heartbeats_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { HeartbeatTimeout = TimeSpan.FromMilliseconds(10) }));
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
