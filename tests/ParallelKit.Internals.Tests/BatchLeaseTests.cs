using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;
using ParallelKit.Scheduling;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>
/// A batch's lease owns its life: each item is released once and the requeue-or-fail decision made once per item,
/// however many times (and by however many parties) an item is reported; the running-work count falls by the batch
/// once its last item is.
/// </summary>
public sealed class BatchLeaseTests
{
    [Fact]
    public void An_item_reported_twice_is_released_once_and_the_running_count_stays_right()
    {
        var (dispatcher, worker) = Server(maxAttempts: 3);
        TestItem first = new("first");
        TestItem second = new("second");
        Dispatcher.BatchLease lease = Lease(dispatcher, worker, first, second);
        Assert.Equal(2, dispatcher.Running);
        Assert.Equal(2, lease.Held);

        Assert.True(lease.Done(first));
        Assert.False(lease.Done(first));
        Assert.False(lease.Fail(first, new InvalidOperationException("late")));
        Assert.Null(first.Failure);
        Assert.Equal(1, lease.Held);
        Assert.Equal(2, dispatcher.Running);

        Assert.True(lease.Fail(second, new InvalidOperationException("could not be sent")));
        Assert.Equal("could not be sent", second.Failure?.Message);
        lease.Settle();
        lease.Settle();
        Assert.Equal(0, dispatcher.Running);
        Assert.Equal(0, lease.Held);
    }

    [Fact]
    public void Items_lost_twice_are_retried_once_and_charged_once()
    {
        var (dispatcher, worker) = Server(maxAttempts: 3);
        TestItem first = new("first");
        TestItem second = new("second");
        Dispatcher.BatchLease lease = Lease(dispatcher, worker, first, second);
        int failures = 0;
        Exception Failure(WorkItem item)
        {
            failures++;
            return new InvalidOperationException("lost");
        }

        Assert.Equal((1, 0), lease.Lost([first], disposed: false, Failure));
        Assert.Equal(1, lease.Held);

        // The worker's death reports everything it held, the item already handed on among them.
        Assert.Equal((1, 0), lease.Lost([first, second], disposed: false, Failure));
        Assert.Equal((0, 0), lease.Lost([first, second], disposed: false, Failure));
        Assert.Equal(0, dispatcher.Running);
        Assert.Equal(2, dispatcher.Retries);
        Assert.Equal(2, dispatcher.Queued);
        Assert.Equal(1, first.Attempts);
        Assert.Equal(1, second.Attempts);
        Assert.Equal(0, failures);
        Assert.Equal(2, first.Requeues + second.Requeues);
    }

    [Fact]
    public void An_old_lease_cannot_release_an_item_that_runs_again_under_a_new_one()
    {
        var (dispatcher, worker) = Server(maxAttempts: 3);
        TestItem item = new("item");
        Dispatcher.BatchLease first = Lease(dispatcher, worker, item);
        first.Lost([item], disposed: false, _ => new InvalidOperationException("lost"));
        Assert.Equal(0, dispatcher.Running);

        dispatcher.WorkerReady(worker);
        Assert.Equal(2, worker.Leases.Count);
        Dispatcher.BatchLease second = worker.Leases[1];
        Assert.Same(item, Assert.Single(second.Items));
        Assert.Equal(2, item.Attempts);
        Assert.Equal(1, dispatcher.Running);

        Assert.False(first.Done(item));
        first.Settle();
        first.Lost([item], disposed: false, _ => new InvalidOperationException("lost"));
        Assert.Equal(1, dispatcher.Running);
        Assert.Equal(1, dispatcher.Retries);

        Assert.True(second.Done(item));
        Assert.Equal(0, dispatcher.Running);
    }

    [Fact]
    public void Items_returned_unrun_are_requeued_uncharged_once()
    {
        var (dispatcher, worker) = Server(maxAttempts: 3);
        TestItem item = new("item");
        Dispatcher.BatchLease lease = Lease(dispatcher, worker, item);
        Assert.Equal(1, item.Attempts);

        lease.ReturnUnrun([item], disposed: false);
        lease.ReturnUnrun([item], disposed: false);
        Assert.Equal(0, item.Attempts);
        Assert.Equal(1, item.Requeues);
        Assert.Equal(0, dispatcher.Running);
        Assert.Equal(1, dispatcher.Queued);
        Assert.Equal(0, dispatcher.Retries);
    }

    [Fact]
    public void An_item_out_of_attempts_fails_once_with_the_backends_error()
    {
        var (dispatcher, worker) = Server(maxAttempts: 1);
        TestItem item = new("item");
        Dispatcher.BatchLease lease = Lease(dispatcher, worker, item);
        int failures = 0;
        Exception Failure(WorkItem lost)
        {
            failures++;
            return new InvalidOperationException($"{lost.Name} crashed on attempt {lost.Attempts}");
        }

        Assert.Equal((0, 1), lease.Lost([item], disposed: false, Failure));
        Assert.Equal((0, 0), lease.Lost([item], disposed: false, Failure));
        Assert.Equal(1, failures);
        Assert.Equal("item crashed on attempt 1", item.Failure?.Message);
        Assert.Equal(0, dispatcher.Running);
        Assert.Equal(0, dispatcher.Queued);
    }

    [Fact]
    public void Lost_items_fail_as_disposed_once_the_server_is()
    {
        var (dispatcher, worker) = Server(maxAttempts: 3);
        TestItem item = new("item");
        Dispatcher.BatchLease lease = Lease(dispatcher, worker, item);

        Assert.Equal((0, 0), lease.Lost([item], disposed: true, _ => new InvalidOperationException("not this")));
        Assert.IsType<ObjectDisposedException>(item.Failure);
        Assert.Equal(0, dispatcher.Running);
        Assert.Equal(0, dispatcher.Queued);
    }

    [Fact]
    public void Abandoning_a_batch_fails_only_what_it_still_holds()
    {
        var (dispatcher, worker) = Server(maxAttempts: 3);
        TestItem done = new("done");
        TestItem lost = new("lost");
        TestItem held = new("held");
        Dispatcher.BatchLease lease = Lease(dispatcher, worker, done, lost, held);
        lease.Done(done);
        lease.Lost([lost], disposed: false, _ => new InvalidOperationException("lost"));

        lease.Abandon(new ObjectDisposedException("server"));
        lease.Abandon(new InvalidOperationException("again"));
        Assert.Null(done.Failure);
        Assert.Null(lost.Failure);
        Assert.IsType<ObjectDisposedException>(held.Failure);
        Assert.Equal(0, lease.Held);
        Assert.Equal(0, dispatcher.Running);
        Assert.Equal(1, dispatcher.Queued);
    }

    private static (Dispatcher Dispatcher, TestWorker Worker) Server(int maxAttempts)
    {
        var dispatcher = new Dispatcher(new CostModel(), workerCount: 1) { MaxAttempts = maxAttempts };
        return (dispatcher, new TestWorker(dispatcher));
    }

    /// <summary>Queues <paramref name="items"/> as one batch and has the worker take it.</summary>
    private static Dispatcher.BatchLease Lease(Dispatcher dispatcher, TestWorker worker, params TestItem[] items)
    {
        dispatcher.Enqueue(new TogetherSource(items));
        dispatcher.WorkerReady(worker);
        Dispatcher.BatchLease lease = worker.Leases[^1];
        Assert.Equal(items, lease.Items);
        return lease;
    }

    /// <summary>A worker that takes its batches and leaves their reports to the test.</summary>
    private sealed class TestWorker(Dispatcher dispatcher) : WorkerSlot(0, dispatcher)
    {
        public List<Dispatcher.BatchLease> Leases { get; } = [];

        public override int ProcessId => Environment.ProcessId;

        public override bool IsAlive => true;

        public override void Run(Dispatcher.BatchLease lease) => Leases.Add(lease);

        public override void Retire()
        {
        }

        public override void RequestCancel(long sequence)
        {
        }
    }

    /// <summary>Items that go to one worker together, as a cluster node's relayed batch does.</summary>
    private sealed class TogetherSource(TestItem[] items) : IWorkSource
    {
        private int _next;

        public bool IsSingleJob => false;

        public bool KeepsItemsTogether => true;

        public WorkItem? TakeNext(int workers, out bool exhausted)
        {
            WorkItem? item = _next < items.Length ? items[_next++] : null;
            exhausted = _next >= items.Length;
            return item;
        }

        public void Abandon(Exception reason)
        {
            while (_next < items.Length)
            {
                items[_next++].Fail(reason);
            }
        }
    }

    private sealed class TestItem(string name) : WorkItem
    {
        private int _finished;

        public Exception? Failure { get; private set; }

        public int Requeues { get; private set; }

        public override string Name => name;

        public override ulong CostKey => 0;

        public override int Count => 1;

        public override bool IsRetryable => true;

        public override bool CancellationRequested => false;

        public override bool IsFinished => Volatile.Read(ref _finished) != 0;

        protected override bool TryStart(WorkerSlot worker) => !IsFinished;

        public override bool TryRequeue()
        {
            Requeues++;
            return true;
        }

        public override void WritePayload(FrameBuffer frame)
        {
        }

        public override void Complete(ReadOnlySpan<byte> results) => Volatile.Write(ref _finished, 1);

        public override void Canceled() => Volatile.Write(ref _finished, 1);

        public override void Fail(Exception exception)
        {
            if (Interlocked.Exchange(ref _finished, 1) == 0)
            {
                Failure = exception;
            }
        }

        public override ValueTask RunInProcessAsync(WorkerSlot worker, TimeSpan? timeout, CancellationToken stopping) => ValueTask.CompletedTask;
    }
}
