using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>ProcessLock, ProcessRLock, ProcessSemaphore, ProcessEvent, ProcessCondition and ProcessBarrier across processes.</summary>
public sealed partial class SyncTests
{
    [Fact]
    public async Task A_lock_whose_holder_was_killed_goes_to_the_next_acquirer_marked_abandoned()
    {
        using var theLock = new ProcessLock();
        using (var process = ParallelProcess.Start(SyncJobs.Jobs.DieHolding(theLock)))
        {
            await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, process.ExitCode);
        }

        Assert.True(theLock.TryAcquire(TimeSpan.FromSeconds(20), out LockScope scope), "the lock of a dead holder must be taken over");
        using (scope)
        {
            Assert.True(scope.WasAbandoned);
            Assert.True(theLock.IsHeldByCurrentThread);
        }

        Assert.False(theLock.IsHeldByCurrentThread);
    }

    [Fact]
    public void A_lock_whose_holder_process_was_SIGKILLed_goes_to_the_next_acquirer()
    {
        using var theLock = new ProcessLock();
        using var holding = new ProcessEvent();
        using var process = ParallelProcess.Start(SyncJobs.Jobs.HoldUntilKilled(theLock, holding));
        Assert.True(holding.Wait(TimeSpan.FromSeconds(60)), "the child never took the lock");
        Assert.False(theLock.TryAcquire(TimeSpan.FromMilliseconds(100), out _));

        System.Diagnostics.Process.GetProcessById(process.Pid).Kill(); // SIGKILL: no cleanup runs in the holder
        Assert.True(theLock.TryAcquire(TimeSpan.FromSeconds(20), out LockScope scope), "the lock of a killed holder must be taken over");
        using (scope)
        {
            Assert.True(scope.WasAbandoned);
        }
    }

    [Fact]
    public void TryAcquire_by_the_holder_reports_failure_as_Python_does()
    {
        using var theLock = new ProcessLock();
        using (theLock.Acquire())
        {
            Assert.False(theLock.TryAcquire(TimeSpan.Zero, out _));
            Assert.False(theLock.TryAcquire(TimeSpan.FromMilliseconds(50), out _));
            Assert.True(theLock.IsHeldByCurrentThread); // still held, once
            Assert.Throws<LockRecursionException>(() => theLock.TryAcquire(Timeout.InfiniteTimeSpan, out _));
        }

        Assert.False(theLock.IsHeldByCurrentThread);
        Assert.True(theLock.TryAcquire(TimeSpan.Zero, out LockScope scope));
        scope.Dispose();
    }

    [Fact]
    public void A_lock_is_exclusive_and_not_reentrant_an_rlock_is_reentrant()
    {
        using var theLock = new ProcessLock();
        using (theLock.Acquire())
        {
            Assert.Throws<LockRecursionException>(() => theLock.Acquire());
            bool acquiredElsewhere = true;
            var other = new Thread(() => acquiredElsewhere = theLock.TryAcquire(TimeSpan.FromMilliseconds(200), out _));
            other.Start();
            other.Join();
            Assert.False(acquiredElsewhere);
        }

        Assert.Throws<SynchronizationLockException>(() => theLock.Release());

        using var rlock = new ProcessRLock();
        using (rlock.Acquire())
        using (rlock.Acquire())
        {
            Assert.True(rlock.IsHeldByCurrentThread);
        }

        Assert.False(rlock.IsHeldByCurrentThread);
    }

    [Fact]
    public async Task Semaphores_hand_off_between_processes()
    {
        using var ping = new ProcessSemaphore(0);
        using var pong = new ProcessSemaphore(0);
        const int Rounds = 2_000;
        using var process = ParallelProcess.Start(SyncJobs.Jobs.Pong(ping, pong, Rounds));
        for (int i = 0; i < Rounds; i++)
        {
            ping.Release();
            Assert.True(pong.Wait(TimeSpan.FromSeconds(30)), $"no pong for ping {i}");
        }

        await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(0, ping.CurrentCount);
        Assert.False(pong.Wait(TimeSpan.Zero));
    }

    [Fact]
    public void A_bounded_semaphore_refuses_to_exceed_its_maximum()
    {
        using var semaphore = new ProcessSemaphore(1, maximumCount: 1);
        Assert.Throws<SemaphoreFullException>(() => semaphore.Release());
        Assert.True(semaphore.Wait(TimeSpan.Zero));
        Assert.False(semaphore.Wait(TimeSpan.FromMilliseconds(50)));
        Assert.Equal(0, semaphore.Release());
    }

    [Fact]
    public async Task Events_wake_a_worker_and_are_waited_for_across_processes()
    {
        using var go = new ProcessEvent();
        using var done = new ProcessEvent();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<bool> relay = server.Submit(SyncJobs.Jobs.Relay(go, done));
        Assert.False(done.Wait(TimeSpan.FromMilliseconds(100)));
        go.Set();
        Assert.True(done.Wait(TimeSpan.FromSeconds(30)));
        Assert.True(await relay);
        done.Clear();
        Assert.False(done.IsSet);
    }

    [Fact]
    public async Task Set_then_clear_wakes_a_waiter_in_another_process_like_pythons_event()
    {
        // Python's Event: whoever waits when the event is set returns True, even if it is cleared before the
        // waiter runs again. The waiting worker is stopped (SIGSTOP) while the event is set and cleared, so it
        // cannot see the set state itself; once continued, its wait must still end. Repeated, in case a round
        // stopped the worker before it had begun to wait.
        using var pulse = new ProcessEvent();
        using var started = new ProcessEvent();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<bool> waiter = server.Submit(SyncJobs.Jobs.WaitForPulse(pulse, started));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        int pid = server.Stats.Workers[0].ProcessId;
        for (int round = 0; round < 20 && !waiter.Completion.IsCompleted; round++)
        {
            await Task.Delay(50);
            Assert.Equal(0, Signals.Send(pid, Signals.Stop));
            pulse.Set();
            pulse.Clear();
            Assert.Equal(0, Signals.Send(pid, Signals.Continue));
            await Task.WhenAny(waiter.Completion, Task.Delay(200));
        }

        Assert.True(await waiter);
        Assert.False(pulse.IsSet);
    }

    private static partial class Signals
    {
        public const int Stop = 19;     // SIGSTOP (Linux)
        public const int Continue = 18; // SIGCONT

        public static int Send(int pid, int signal) => kill(pid, signal);

        [System.Runtime.InteropServices.LibraryImport("libc")]
        private static partial int kill(int pid, int signal);
    }

    [Fact]
    public async Task A_condition_wakes_a_waiter_in_another_process()
    {
        using var condition = new ProcessCondition();
        using var value = new SharedValue<long>(0);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<long> waiter = server.Submit(SyncJobs.Jobs.WaitThenDouble(condition, value, 21));
        for (int i = 1; i <= 21; i++)
        {
            using (condition.Acquire())
            {
                value.Value = i;
                condition.Notify();
            }
        }

        Assert.Equal(42, await waiter);
        using (condition.Acquire())
        {
            Assert.True(condition.WaitFor(() => value.Value == 42, TimeSpan.FromSeconds(5)));
        }

        Assert.Throws<SynchronizationLockException>(() => condition.Notify());
    }

    [Fact]
    public async Task A_barrier_releases_all_parties_each_round_and_breaks_on_a_timeout()
    {
        using var barrier = new ProcessBarrier(3);
        using var counter = new SharedValue<int>(0);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        Job<int>[] parties = [.. Enumerable.Range(0, 2).Select(_ => server.Submit(SyncJobs.Jobs.MeetThrice(barrier, counter)))];
        int mine = 0;
        for (int round = 0; round < 3; round++)
        {
            counter.Update(c => c + 1);
            mine += barrier.SignalAndWait(TimeSpan.FromSeconds(30));

            // Nobody passes a round before all three have counted it.
            Assert.True(counter.Value >= 3 * (round + 1));
        }

        int total = mine + (await parties[0]) + (await parties[1]);
        Assert.Equal(3 * (0 + 1 + 2), total); // each round hands out indexes 0, 1, 2
        Assert.Equal(9, counter.Value);

        Assert.Throws<BrokenBarrierException>(() => barrier.SignalAndWait(TimeSpan.FromMilliseconds(100)));
        Assert.True(barrier.IsBroken);
        Assert.Throws<BrokenBarrierException>(() => barrier.SignalAndWait(TimeSpan.FromMilliseconds(100)));
        barrier.Reset();
        Assert.False(barrier.IsBroken);
    }

    [Fact]
    public async Task Ten_processes_print_whole_lines_under_a_lock()
    {
        using var printLock = new ProcessLock();
        ParallelProcess[] processes = [.. Enumerable.Range(0, 10).Select(i => ParallelProcess.Start(SyncJobs.Jobs.Print(printLock, i)))];
        try
        {
            await Task.WhenAll(processes.Select(p => p.JoinAsync())).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.All(processes, p => Assert.Equal(0, p.ExitCode));
        }
        finally
        {
            foreach (ParallelProcess process in processes)
            {
                process.Dispose();
            }
        }

        Assert.False(printLock.IsHeldByCurrentThread);
    }
}
