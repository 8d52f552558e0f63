using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// Disposing a shared-memory object while another thread of the same process waits on it: the wait ends with
/// <see cref="ObjectDisposedException"/>, and the memory stays mapped until it has left (it used to be unmapped under
/// the sleeper, which crashed the whole process with an access violation).
/// </summary>
public sealed class DisposeWhileWaitingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_semaphore_disposed_under_an_asynchronous_wait_fails_the_wait()
    {
        var semaphore = new ProcessSemaphore(0);
        Task waiting = semaphore.WaitAsync();
        Task<bool> timed = semaphore.WaitAsync(TimeSpan.FromHours(1));
        await Task.Delay(200); // both are sleeping in the kernel by now (each began with a try that failed)
        semaphore.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Patience));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => timed.WaitAsync(Patience));
        Assert.Throws<ObjectDisposedException>(() => semaphore.Wait(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_semaphore_disposed_while_a_cancelled_wait_is_still_leaving_does_not_crash()
    {
        // The crash seen in CI: a cancelled WaitAsync's thread was still inside its wait when the test disposed.
        for (int i = 0; i < 20; i++)
        {
            var semaphore = new ProcessSemaphore(0);
            using var cancel = new CancellationTokenSource();
            Task waiting = semaphore.WaitAsync(cancel.Token);
            cancel.Cancel();
            semaphore.Dispose();
            Exception? ended = await Record.ExceptionAsync(() => waiting.WaitAsync(Patience));
            Assert.True(ended is OperationCanceledException or ObjectDisposedException, $"unexpected: {ended}");
        }
    }

    [Fact]
    public async Task An_event_disposed_under_a_blocking_wait_fails_the_wait()
    {
        var flag = new ProcessEvent();
        Task<bool> waiting = Task.Factory.StartNew(() => flag.Wait(TimeSpan.FromHours(1)), TaskCreationOptions.LongRunning);
        await Task.Delay(200);
        flag.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_queue_disposed_under_a_get_fails_the_get_and_one_under_a_full_put_fails_the_put()
    {
        var empty = new ProcessQueue<int>();
        Task<int> getting = Task.Factory.StartNew(() => empty.Get(), TaskCreationOptions.LongRunning);
        var full = new ProcessQueue<int>(capacity: 1);
        full.Put(1);
        Task putting = Task.Factory.StartNew(() => full.Put(2), TaskCreationOptions.LongRunning);
        await Task.Delay(200);
        empty.Dispose();
        full.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => getting.WaitAsync(Patience));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => putting.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_lock_disposed_under_a_waiting_acquirer_fails_the_acquire_and_its_holder_still_releases()
    {
        var theLock = new ProcessLock();
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Exception? releaseFailed = null;
        var holder = new Thread(() =>
        {
            LockScope held = theLock.Acquire();
            holding.Set();
            release.Wait();
            releaseFailed = Record.Exception(held.Dispose); // its scope kept the memory mapped: releasing is still safe
        });
        holder.Start();
        Assert.True(holding.Wait(Patience));
        Task<bool> acquiring = Task.Factory.StartNew(
            () =>
            {
                bool got = theLock.TryAcquire(TimeSpan.FromHours(1), out LockScope scope);
                scope.Dispose();
                return got;
            },
            TaskCreationOptions.LongRunning);
        await Task.Delay(200);
        theLock.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => acquiring.WaitAsync(Patience));
        release.Set();
        Assert.True(holder.Join(Patience));
        Assert.Null(releaseFailed);
        Assert.True(theLock.IsDisposed);
    }

    [Fact]
    public async Task A_condition_disposed_under_a_wait_fails_the_wait_with_its_lock_taken_back()
    {
        var condition = new ProcessCondition();
        Task<bool> waiting = Task.Factory.StartNew(
            () =>
            {
                using (condition.Acquire())
                {
                    return condition.Wait(TimeSpan.FromHours(1));
                }
            },
            TaskCreationOptions.LongRunning);
        await Task.Delay(300);
        condition.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_barrier_disposed_under_a_waiting_party_fails_the_wait()
    {
        var barrier = new ProcessBarrier(2);
        Task<int> waiting = Task.Factory.StartNew(() => barrier.SignalAndWait(TimeSpan.FromHours(1)), TaskCreationOptions.LongRunning);
        await Task.Delay(200);
        barrier.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_joinable_queue_disposed_under_a_join_fails_the_join()
    {
        var queue = new JoinableProcessQueue<int>();
        queue.Put(1);
        Task joining = queue.JoinAsync();
        await Task.Delay(200);
        queue.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => joining.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_lock_disposed_under_an_asynchronous_acquire_fails_the_acquire()
    {
        var theLock = new ProcessLock();
        AsyncLockScope held = await theLock.AcquireAsync();
        Task<AsyncLockScope> acquiring = theLock.AcquireAsync();
        await Task.Delay(200);
        theLock.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => acquiring.WaitAsync(Patience));
        await held.DisposeAsync(); // its holder thread kept the memory mapped
        await Assert.ThrowsAsync<ObjectDisposedException>(() => theLock.AcquireAsync());
    }

    [Fact]
    public void A_notification_with_nobody_waiting_is_lost()
    {
        // As in Python: notify() wakes waiters that wait now; it is not kept for a later wait.
        using var condition = new ProcessCondition();
        using (condition.Acquire())
        {
            condition.Notify();
            condition.NotifyAll();
            Assert.False(condition.Wait(TimeSpan.FromMilliseconds(100)));
        }
    }

    [Fact]
    public async Task Notify_one_wakes_exactly_one_of_two_waiters_and_notify_all_the_other()
    {
        // Python's Condition.notify(n) wakes at most n (CPython's test_notify checks it): sleepers that wake on their
        // own to look around would leave on a notification meant for another.
        using var condition = new ProcessCondition();
        using var ready = new CountdownEvent(2);
        int woken = 0;
        Task<bool>[] waiters = [.. Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(
            () =>
            {
                using (condition.Acquire())
                {
                    ready.Signal(); // holding the lock, which only Wait lets go of
                    bool notified = condition.Wait(Patience);
                    Interlocked.Increment(ref woken);
                    return notified;
                }
            },
            TaskCreationOptions.LongRunning))];
        Assert.True(ready.Wait(Patience));

        using (condition.Acquire()) // only once both waiters are inside Wait
        {
            condition.Notify();
        }

        Task<bool> first = await Task.WhenAny(waiters).WaitAsync(Patience);
        Assert.True(await first);
        await Task.Delay(500); // longer than any slice a sleeper could wake from on its own
        Assert.Equal(1, Volatile.Read(ref woken));

        using (condition.Acquire())
        {
            condition.NotifyAll();
        }

        Assert.All(await Task.WhenAll(waiters).WaitAsync(Patience), Assert.True);
    }
}
