using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// A worker holds the batch it runs next behind a short running batch (issue 14): the one behind is sent, but judged
/// by no deadline until it runs, goes back to the queue uncharged when the worker dies, and can be cancelled.
/// </summary>
public sealed class PrefetchTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// One worker, every job its own batch (a server job timeout does that). Teaches the server that
    /// <see cref="PrefetchJobs.Hold"/> is short, then has the worker run <paramref name="running"/>'s Hold with the job
    /// <paramref name="behind"/> submits sent behind it: returns once the Hold runs and the job behind it is the
    /// worker's (running, as its status says, while the one worker still holds the Hold).
    /// </summary>
    private static async Task<(Job<int> Running, TJob Behind)> HoldWithOneBehindAsync<TJob>(
        JobServer server, ProcessEvent started, ProcessEvent release, int holdSeconds, Func<TJob> behind)
        where TJob : class
    {
        // The cost model averages what it sees (the first runs open the events, compile the job): enough runs to forget those.
        using var set = new ProcessEvent(initiallySet: true);
        for (int i = 0; i < 40; i++)
        {
            await server.Submit(PrefetchJobs.Jobs.Hold(set, set, 1)).AsTask().WaitAsync(Patience);
        }

        // A job of another kind keeps the worker busy while both are queued; once it ends, the Hold is sent, and the
        // next job behind it.
        using var go = new ProcessEvent();
        Job<int> first = server.Submit(PrefetchJobs.Jobs.Block(go, 120));
        Job<int> hold = server.Submit(PrefetchJobs.Jobs.Hold(started, release, holdSeconds));
        TJob next = behind();
        go.Set();
        await first.AsTask().WaitAsync(Patience);
        Assert.True(await started.WaitAsync(Patience));
        return (hold, next);
    }

    private static async Task WaitUntilRunningAsync(Job job, Job holder)
    {
        var clock = Stopwatch.StartNew();
        while (job.Status != JobStatus.Running && clock.Elapsed < Patience)
        {
            await Task.Delay(5);
        }

        Assert.Equal(JobStatus.Running, job.Status);
        Assert.Equal(JobStatus.Running, holder.Status);
    }

    [Fact]
    public async Task A_worker_killed_with_a_batch_behind_its_running_one_charges_only_the_running_one()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, MaxAttempts = 1, JobTimeout = TimeSpan.FromMinutes(5) });
        using var started = new ProcessEvent();
        using var release = new ProcessEvent();
        (Job<int> hold, Job<int> behind) = await HoldWithOneBehindAsync(server, started, release, 120, () => server.Submit(TestJobs.Jobs.Add(20, 22)));
        await WaitUntilRunningAsync(behind, hold);
        int pid = server.Stats.Workers.Single(w => w.IsAlive).ProcessId;

        using (var worker = Process.GetProcessById(pid))
        {
            worker.Kill();
        }

        // The running job was charged its one attempt; the one behind it never ran, is not charged, and runs on the
        // replacement.
        var crashed = await Assert.ThrowsAsync<JobFailedException>(async () => await hold).WaitAsync(Patience);
        Assert.Equal(JobFailedException.WorkerCrashed, crashed.RemoteType);
        Assert.Equal(42, await behind.AsTask().WaitAsync(Patience));
        Assert.NotEqual(pid, server.Stats.Workers.Single(w => w.IsAlive).ProcessId);
    }

    [Fact]
    public async Task A_job_sent_behind_the_running_one_can_be_cancelled_and_its_grace_waits_until_it_runs()
    {
        await using var server = JobServer.Start(new JobServerOptions
        {
            Workers = 1,
            MaxAttempts = 1,
            JobTimeout = TimeSpan.FromMinutes(5),
            CancellationGracePeriod = TimeSpan.FromMilliseconds(200),
        });
        using var started = new ProcessEvent();
        using var release = new ProcessEvent();
        using var cancel = new CancellationTokenSource();
        (Job<int> hold, Job<int> behind) = await HoldWithOneBehindAsync(server, started, release, 120,
            () => server.Submit(TestJobs.Jobs.WaitForCancellationAsync(120), cancel.Token));
        await WaitUntilRunningAsync(behind, hold);
        int pid = server.Stats.Workers.Single(w => w.IsAlive).ProcessId;

        // Cancelled while it waits behind the Hold: several grace periods pass, and the worker must not be killed for
        // a job it has not started.
        await cancel.CancelAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(JobStatus.Running, hold.Status);
        release.Set();

        Assert.Equal(pid, await hold.AsTask().WaitAsync(Patience));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await behind).WaitAsync(Patience);
        Assert.Equal(JobStatus.Canceled, behind.Status);
        Assert.Equal(0, server.Stats.WorkerRestarts);
    }

    [Fact]
    public async Task The_job_timeout_judges_a_job_from_when_it_runs_not_from_when_it_was_sent_behind_another()
    {
        // Each Hold runs 2 s under a 3 s limit: the one sent behind the first would be 4 s old when it ends.
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, JobTimeout = TimeSpan.FromSeconds(3) });
        using var started = new ProcessEvent();
        using var never = new ProcessEvent();
        using var startedBehind = new ProcessEvent();
        (Job<int> first, Job<int> behind) = await HoldWithOneBehindAsync(server, started, never, 2,
            () => server.Submit(PrefetchJobs.Jobs.Hold(startedBehind, never, 2)));
        await WaitUntilRunningAsync(behind, first);

        int pid = await first.AsTask().WaitAsync(Patience);
        Assert.Equal(pid, await behind.AsTask().WaitAsync(Patience));

        // The deadline still judges the running job.
        using var stuck = new ProcessEvent();
        await Assert.ThrowsAsync<JobTimeoutException>(async () => await server.Submit(PrefetchJobs.Jobs.Hold(stuck, never, 60))).WaitAsync(Patience);
    }
}
