using System;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// A dead holder whose pid or thread id an unrelated process got must still count as dead (issue 11, item 1).
/// Each test kills a holder, gives its id to a <c>sleep</c> (as root, through ns_last_pid), and checks that the
/// lock, the pipe and the manager all see the death. Run one at a time: they steer the kernel's pid counter.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed class PidReuseTests
{
    [Fact]
    public async Task A_lock_whose_dead_holders_thread_id_was_reused_is_taken_over()
    {
        using var theLock = new ProcessLock();
        using var holderThread = new SharedValue<int>(0);
        using var holding = new ProcessEvent();
        int holderTid;
        using (var process = ParallelProcess.Start(ReliabilityJobs.Jobs.HoldOnAThreadUntilKilled(theLock, holderThread, holding)))
        {
            Assert.True(holding.Wait(TimeSpan.FromSeconds(60)), "the child never took the lock");
            holderTid = holderThread.Value;
            Assert.NotEqual(process.Pid, holderTid);
            System.Diagnostics.Process.GetProcessById(process.Pid).Kill();
            await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        System.Diagnostics.Process? sleeper = PidReuse.Occupy(holderTid);
        try
        {
            Assert.True(theLock.TryAcquire(TimeSpan.FromSeconds(10), out LockScope scope), "a lock whose holder died must be taken over, though its thread id now names a live process");
            using (scope)
            {
                Assert.True(scope.WasAbandoned);
            }
        }
        finally
        {
            PidReuse.Release(sleeper);
        }
    }

    [Fact]
    public async Task A_pipe_whose_dead_peers_pid_was_reused_ends()
    {
        var (mine, theirs) = ProcessPipe.Create<int>();
        using (mine)
        {
            using var holding = new ProcessEvent();
            int peer;
            using (var process = ParallelProcess.Start(ReliabilityJobs.Jobs.HoldPipeEndUntilKilled(theirs, holding)))
            {
                theirs.Dispose();
                Assert.True(holding.Wait(TimeSpan.FromSeconds(60)), "the child never started");
                peer = process.Pid;
                System.Diagnostics.Process.GetProcessById(peer).Kill();
                await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }

            System.Diagnostics.Process? sleeper = PidReuse.Occupy(peer);
            try
            {
                Assert.Throws<EndOfStreamException>(() => mine.Receive(TimeSpan.FromSeconds(10)));
            }
            finally
            {
                PidReuse.Release(sleeper);
            }
        }
    }

    [Fact]
    public async Task A_call_to_a_dead_manager_whose_pid_was_reused_fails_clearly()
    {
        using var manager = ProcessManager.Start();
        SharedDictionary<string, int> d = manager.Dictionary<string, int>();
        d["x"] = 1;
        int pid = manager.Pid;
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        for (int i = 0; i < 600 && manager.IsAlive; i++)
        {
            await Task.Delay(100);
        }

        Assert.False(manager.IsAlive, "the killed manager was never reaped");
        System.Diagnostics.Process? sleeper = PidReuse.Occupy(pid);
        try
        {
            // Off the test's thread: the old code waited here for ever.
            Task call = Task.Run(() => d["x"] = 2);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("has exited", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            PidReuse.Release(sleeper);
        }
    }
}
