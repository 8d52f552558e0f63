using System;
using System.Collections.Generic;
using System.Threading;

namespace ParallelKit.Scheduling;

internal sealed partial class Dispatcher
{
    /// <summary>
    /// One batch the dispatcher handed to one worker, from the hand-out until every item of it is reported: the
    /// one owner of the batch's life. Backends only report what became of each item (<see cref="Done"/>,
    /// <see cref="Fail"/>, <see cref="Abandon"/>, <see cref="ReturnUnrun"/>, <see cref="Lost"/>, <see cref="Settle"/>);
    /// the lease makes the requeue-or-fail decision once per item, and lowers the dispatcher's running-work count
    /// by the whole batch once its last item is reported.
    /// </summary>
    /// <remarks>
    /// An item is released by the first report on it and never again: a second report (a results reader and a
    /// deadline racing, a worker's death after a node call failed, a shutdown abandoning what a late batch still
    /// holds) finds it released and does nothing. An item that went round again is held by the lease of its next
    /// run, which the old one cannot release. Nested in the dispatcher so that only the two of them touch the count.
    /// </remarks>
    internal sealed class BatchLease
    {
        private readonly Dispatcher _dispatcher;
        private readonly List<WorkItem> _items = [];
        private int _held;

        internal BatchLease(Dispatcher dispatcher, WorkerSlot worker)
        {
            _dispatcher = dispatcher;
            Worker = worker;
        }

        /// <summary>The worker the batch was handed to.</summary>
        public WorkerSlot Worker { get; }

        /// <summary>The batch's items, in the order the worker runs them.</summary>
        public IReadOnlyList<WorkItem> Items => _items;

        /// <summary>How many items the batch has.</summary>
        public int Count => _items.Count;

        /// <summary>How many of the batch's items have not been reported yet.</summary>
        public int Held => Volatile.Read(ref _held);

        /// <summary>Adds a started item to the batch; the dispatcher's, before it hands the batch out.</summary>
        internal void Add(WorkItem item)
        {
            item.HoldBy(this);
            _items.Add(item);
            _held++;
        }

        /// <summary>
        /// <paramref name="item"/> has its outcome (the backend gave it its results, its cancellation or its job's
        /// failure): the lease lets go of it.
        /// </summary>
        /// <returns><see langword="false"/> when the item had been reported already.</returns>
        public bool Done(WorkItem item) => Release(item);

        /// <summary>
        /// <paramref name="item"/> failed with <paramref name="exception"/> without a result of its own (its arguments
        /// could not be sent, its worker was abandoned at shutdown); nothing when it had been reported already.
        /// </summary>
        /// <returns><see langword="false"/> when the item had been reported already.</returns>
        public bool Fail(WorkItem item, Exception exception)
        {
            if (!Release(item))
            {
                return false;
            }

            if (!item.IsFinished)
            {
                item.Fail(exception);
            }

            return true;
        }

        /// <summary>
        /// The backend gives up on the batch (the server stopped waiting for it at shutdown, or running it failed outside
        /// its jobs): every item not reported yet fails with <paramref name="reason"/>.
        /// </summary>
        public void Abandon(Exception reason)
        {
            foreach (WorkItem item in _items)
            {
                Fail(item, reason);
            }
        }

        /// <summary>The batch is over: releases every item still held (each has had its outcome from the backend).</summary>
        public void Settle()
        {
            foreach (WorkItem item in _items)
            {
                Release(item);
            }
        }

        /// <summary>
        /// <paramref name="items"/> were handed to a worker that never ran them (it was already dying, or stopping for
        /// the server to shrink): back to the queue without charging an attempt, or failed once the server is disposed.
        /// Items reported already are left alone.
        /// </summary>
        public void ReturnUnrun(IReadOnlyList<WorkItem> items, bool disposed)
        {
            var again = new List<WorkItem>(items.Count);
            foreach (WorkItem item in items)
            {
                if (TakeBack(item, disposed) && item.TryRequeue())
                {
                    item.RefundAttempt();
                    again.Add(item);
                }
            }

            if (again.Count > 0)
            {
                _dispatcher.Requeue(again);
            }
        }

        /// <summary>
        /// The worker or node died with <paramref name="items"/> unreported: each unfinished item goes round again (a
        /// map chunk split over the workers) while it has attempts left and may be retried, and fails otherwise with
        /// <paramref name="failure"/>'s exception (the item and its attempt count are known to it). Retried items are
        /// requeued, first in line. Where retries are wanted, a map chunk that delivered results on this attempt is not
        /// charged for it: what it delivered is kept, and the rest goes on (a job that kills its worker every time is
        /// still charged once it heads its chunk, so it fails after <see cref="JobServerOptions.MaxAttempts"/>). Items
        /// reported already are left alone.
        /// </summary>
        /// <returns>How many items were retried and how many failed.</returns>
        public (int Retried, int Failed) Lost(IReadOnlyList<WorkItem> items, bool disposed, Func<WorkItem, Exception> failure)
        {
            int maxAttempts = _dispatcher.MaxAttempts;
            var retry = new List<WorkItem>();
            int retried = 0;
            int failed = 0;
            foreach (WorkItem item in items)
            {
                if (!TakeBack(item, disposed))
                {
                    continue;
                }

                if (item.MadeProgress && maxAttempts > 1)
                {
                    item.RefundAttempt();
                }

                if (item.Attempts < maxAttempts && item.IsRetryable && item.TryRequeue())
                {
                    retried++;
                    retry.AddRange(item.SplitForRetry(_dispatcher.WorkerCount));
                    continue;
                }

                failed++;
                item.Fail(failure(item));
            }

            if (retried > 0)
            {
                Interlocked.Add(ref _dispatcher._retries, retried);
                Diagnostics.Telemetry.Retried.Add(retried);
                _dispatcher.Requeue(retry);
            }

            return (retried, failed);
        }

        /// <summary>
        /// Releases an item its worker did not finish, to decide what becomes of it: <see langword="false"/> when there is
        /// nothing to decide (it was reported already, it has finished meanwhile, or the server is disposed, which fails it).
        /// </summary>
        private bool TakeBack(WorkItem item, bool disposed)
        {
            if (!Release(item) || item.IsFinished)
            {
                return false;
            }

            if (disposed)
            {
                item.Fail(Disposed());
                return false;
            }

            return true;
        }

        /// <summary>
        /// Lets go of <paramref name="item"/>, the first time only; with the batch's last item, the batch stops counting
        /// as running work.
        /// </summary>
        private bool Release(WorkItem item)
        {
            if (!item.ReleaseFrom(this))
            {
                return false;
            }

            // One update of the dispatcher's shared count per batch, not per item: the results threads of every worker
            // write it, and a batch of tiny jobs reports hundreds of items at once.
            if (Interlocked.Decrement(ref _held) == 0)
            {
                Interlocked.Add(ref _dispatcher._running, -_items.Count);
            }

            return true;
        }

        /// <summary>What a job still queued or running gets when the server is disposed.</summary>
        private static ObjectDisposedException Disposed() => new(nameof(JobServer), "The job server was disposed while the job was running.");
    }
}
