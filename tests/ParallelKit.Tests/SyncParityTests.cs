using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Python's Barrier(action, timeout), and async waits with cancellation on the cross-process primitives.</summary>
public sealed class SyncParityTests
{
    [Fact]
    public void A_barrier_action_runs_once_per_round_before_any_party_is_released_whichever_process_arrives_last()
    {
        const int Rounds = 4;
        using var actions = new SharedValue<int>(0);
        using var early = new SharedValue<int>(0);
        using var barrier = new ProcessBarrier(3, SyncJobs.Jobs.CountRound(actions));
        using var a = ParallelProcess.Start(SyncJobs.Jobs.MeetAndCheckAction(barrier, actions, early, Rounds));
        using var b = ParallelProcess.Start(SyncJobs.Jobs.MeetAndCheckAction(barrier, actions, early, Rounds));
        SyncJobs.MeetAndCheckAction(barrier, actions, early, Rounds);
        Assert.True(a.Join(TimeSpan.FromSeconds(120)));
        Assert.True(b.Join(TimeSpan.FromSeconds(120)));
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, b.ExitCode);
        Assert.Equal(Rounds, actions.Value);
        Assert.Equal(0, early.Value);
    }

    [Fact]
    public async Task A_barrier_action_that_throws_breaks_the_barrier_and_reaches_the_party_that_ran_it()
    {
        using var barrier = new ProcessBarrier(2, TestJobs.Jobs.Throw("barrier action failure (expected by the test)"));
        Task<int> first = Task.Run(() => barrier.SignalAndWait(TimeSpan.FromSeconds(60)));
        Task<int> second = Task.Run(() => barrier.SignalAndWait(TimeSpan.FromSeconds(60)));
        Exception[] errors = await Task.WhenAll(Catch(first), Catch(second));
        Assert.Single(errors, e => e is InvalidOperationException { Message: "barrier action failure (expected by the test)" });
        Assert.Single(errors, e => e is BrokenBarrierException);
        Assert.True(barrier.IsBroken);

        static async Task<Exception> Catch(Task task)
        {
            try
            {
                await task;
                return new InvalidProgramException("no exception");
            }
            catch (Exception ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public void A_barrier_default_timeout_applies_to_waits_that_give_none()
    {
        using var barrier = new ProcessBarrier(2, action: null, timeout: TimeSpan.FromMilliseconds(200));
        Assert.Equal(TimeSpan.FromMilliseconds(200), barrier.DefaultTimeout);
        Assert.Throws<BrokenBarrierException>(() => barrier.SignalAndWait());
        Assert.True(barrier.IsBroken);
        Assert.Null(new ProcessBarrier(2).DefaultTimeout);
    }

    [Fact]
    public async Task Semaphore_WaitAsync_completes_when_another_process_releases_and_a_cancelled_wait_takes_nothing()
    {
        using var semaphore = new ProcessSemaphore(0);
        Task waiting = semaphore.WaitAsync();
        Assert.False(waiting.IsCompleted); // the count is 0: only a release can complete it
        using (var child = ParallelProcess.Start(SyncJobs.Jobs.ReleaseOnce(semaphore)))
        {
            await waiting.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Equal(0, semaphore.CurrentCount);
        Assert.False(await semaphore.WaitAsync(TimeSpan.FromMilliseconds(50)));

        using var cts = new CancellationTokenSource();
        Task cancelled = semaphore.WaitAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(60)));
        semaphore.Release();
        Assert.True(semaphore.Wait(TimeSpan.Zero)); // the cancelled wait did not take it
        Assert.True(semaphore.WaitAsync().IsCompleted is false);
    }

    [Fact]
    public async Task Event_WaitAsync_completes_when_another_process_sets_it()
    {
        using var e = new ProcessEvent();
        Assert.False(await e.WaitAsync(TimeSpan.FromMilliseconds(50)));
        Task waiting = e.WaitAsync();
        using (var child = ParallelProcess.Start(SyncJobs.Jobs.SetEvent(e)))
        {
            await waiting.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.True(e.WaitAsync().IsCompletedSuccessfully); // set: no wait at all
        using var cts = new CancellationTokenSource();
        e.Clear();
        Task cancelled = e.WaitAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Barrier_SignalAndWaitAsync_meets_another_process_and_cancelling_breaks_the_barrier()
    {
        using var barrier = new ProcessBarrier(2);
        using (var child = ParallelProcess.Start(SyncJobs.Jobs.MeetOnce(barrier)))
        {
            int index = await barrier.SignalAndWaitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.InRange(index, 0, 1);
            Assert.True(child.Join(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, child.ExitCode);
        }

        using var cts = new CancellationTokenSource();
        Task<int> waiting = barrier.SignalAndWaitAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(barrier.IsBroken);
    }

    [Fact]
    public async Task Timed_waits_nobody_ends_give_up_at_their_deadline_an_async_barrier_wait_breaking_the_barrier()
    {
        using var condition = new ProcessCondition();
        using (condition.Acquire())
        {
            Assert.False(condition.WaitFor(() => false, TimeSpan.FromMilliseconds(100)));
            Assert.False(condition.WaitFor(() => false, TimeSpan.Zero));
            Assert.True(condition.WaitFor(() => true, TimeSpan.Zero));
        }

        using var barrier = new ProcessBarrier(2);
        Task<int> waiting = barrier.SignalAndWaitAsync(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAsync<BrokenBarrierException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(barrier.IsBroken);
    }

    [Fact]
    public async Task A_lock_acquired_asynchronously_is_held_across_awaits_and_released_from_any_thread()
    {
        using var theLock = new ProcessLock();
        AsyncLockScope held = await theLock.AcquireAsync();
        await Task.Yield();
        await Task.Delay(10); // resumes on some pool thread: the lock stays held meanwhile
        Assert.False(await Task.Run(() => theLock.TryAcquire(TimeSpan.Zero, out _)));
        Assert.Null(await theLock.TryAcquireAsync(TimeSpan.FromMilliseconds(50)));
        using (var cts = new CancellationTokenSource())
        {
            Task<AsyncLockScope> waiting = theLock.AcquireAsync(cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        await Task.Run(held.Dispose); // another thread than the one that took it
        AsyncLockScope? again = await theLock.TryAcquireAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(again);
        Assert.False(again.WasAbandoned);
        await again.DisposeAsync();
        Assert.True(theLock.TryAcquire(TimeSpan.Zero, out LockScope scope));
        scope.Dispose();
    }

    [Fact]
    public async Task A_condition_waited_on_asynchronously_wakes_on_another_process_notify_and_a_cancelled_wait_keeps_the_lock()
    {
        using var condition = new ProcessCondition();
        using var value = new SharedValue<long>(0);
        await using (AsyncLockScope held = await condition.AcquireAsync())
        {
            // The child needs the lock to notify: it gets it only while this side waits.
            using var child = ParallelProcess.Start(SyncJobs.Jobs.SetAndNotify(condition, value, 42));
            while (value.Value != 42)
            {
                Assert.True(await condition.WaitAsync(held, TimeSpan.FromSeconds(60)), "no notification came");
            }

            Assert.True(child.Join(TimeSpan.FromSeconds(60)));
            Assert.False(await condition.WaitAsync(held, TimeSpan.FromMilliseconds(50))); // nobody notifies
        }

        AsyncLockScope again = await condition.AcquireAsync();
        using (var cts = new CancellationTokenSource())
        {
            Task<bool> waiting = condition.WaitAsync(again, Timeout.InfiniteTimeSpan, cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        // Still held after the cancelled wait: another thread cannot take it until the scope is disposed.
        Task<AsyncLockScope?> other = condition.AcquireAsync().ContinueWith(t => (AsyncLockScope?)t.Result, TaskScheduler.Default);
        Assert.False(other.IsCompleted);
        await again.DisposeAsync();
        AsyncLockScope? otherScope = await other.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(otherScope);
        await otherScope.DisposeAsync();
    }
}
