using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading;

namespace ParallelKit.Scheduling;

/// <summary>
/// The job queue and the idle-worker pool of one server: an idle worker takes the next work
/// (pp's dynamic load balancing). Backend-neutral: workers may be processes, threads, or anything
/// else that implements <see cref="WorkerSlot"/>. Each batch a worker takes is a <see cref="BatchLease"/>, which
/// owns the batch's life: the running-work count and what becomes of items whose worker was lost.
/// </summary>
internal sealed partial class Dispatcher
{
    /// <summary>Upper bound on cheap single jobs carried by one message.</summary>
    private const int MaxSingleBatch = 512;

    private readonly object _gate = new();
    private readonly LinkedList<IWorkSource> _queue = new();
    private readonly Stack<WorkerSlot> _idle = new();
    private readonly CostModel _costs;
    private int _queuedSingles;
    private int _workerCount;
    private int _running;
    private long _retries;
    private Exception? _closedReason;

    // Set while no worker can start (see Suspend): work fails with it at once instead of waiting, until a
    // worker connects again (Resume). Unlike _closedReason it does not last.
    private Exception? _unavailableReason;

    public Dispatcher(CostModel costs, int workerCount)
    {
        _costs = costs;
        _workerCount = workerCount;
    }

    /// <summary>Work items handed to workers in batches not yet wholly reported back (see <see cref="BatchLease"/>).</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>How many items went round again after their worker or node was lost (see <see cref="BatchLease.Lost"/>).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>How many times an item may be handed to a worker before a lost worker fails it (<see cref="JobServerOptions.MaxAttempts"/>).</summary>
    public int MaxAttempts { get; init; } = 1;

    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Work items a worker runs before it is replaced (JobServerOptions.MaxJobsPerWorker); 0 for no limit.</summary>
    public int MaxItemsPerWorker { get; init; }

    /// <summary>Starts a worker to replace one that reached <see cref="MaxItemsPerWorker"/> (set by the backend).</summary>
    public Action<WorkerSlot>? ReplaceWorker { get; set; }

    /// <summary>Whether cheap single jobs may share a message (not when each needs its own deadline).</summary>
    public bool BatchSingleJobs { get; init; } = true;

    public int WorkerCount
    {
        get => Volatile.Read(ref _workerCount);
        set => Volatile.Write(ref _workerCount, Math.Max(1, value));
    }

    /// <summary>Queues work; idle workers start on it at once, on this thread.</summary>
    public void Enqueue(IWorkSource source)
    {
        List<BatchLease>? started;
        lock (_gate)
        {
            if (_closedReason is not null)
            {
                throw _closedReason is ObjectDisposedException disposed
                    ? new ObjectDisposedException(disposed.ObjectName, disposed.Message)
                    : new InvalidOperationException(_closedReason.Message, _closedReason);
            }

            if (_unavailableReason is not null)
            {
                throw new InvalidOperationException(_unavailableReason.Message, _unavailableReason);
            }

            _queue.AddLast(source);
            if (source.IsSingleJob)
            {
                _queuedSingles++;
            }

            started = AssignIdleWorkers();
        }

        RunAll(started);
    }

    /// <summary>Puts items a dead worker held back at the front of the queue, to run again elsewhere.</summary>
    public void Requeue(IReadOnlyList<WorkItem> items)
    {
        List<BatchLease>? started = null;
        Exception? closed;
        lock (_gate)
        {
            closed = _closedReason ?? _unavailableReason;
            if (closed is null)
            {
                for (int i = items.Count - 1; i >= 0; i--)
                {
                    _queue.AddFirst(new RetrySource(items[i]));
                }

                started = AssignIdleWorkers();
            }
        }

        if (closed is not null)
        {
            foreach (WorkItem item in items)
            {
                item.Fail(closed);
            }

            return;
        }

        RunAll(started);
    }

    /// <summary>Gives queued work to idle workers while both last; caller holds the gate.</summary>
    private List<BatchLease>? AssignIdleWorkers()
    {
        List<BatchLease>? started = null;
        List<WorkerSlot>? passed = null;
        bool? tagged = null;
        while (_idle.Count > 0 && _queue.Count > 0)
        {
            WorkerSlot worker = _idle.Pop();
            if (FillBatch(worker) is not { } lease)
            {
                (passed ??= []).Add(worker);

                // What is queued needs a tag this worker lacks: another idle worker may have it.
                tagged ??= QueueNeedsTags();
                if (tagged == true)
                {
                    continue;
                }

                break;
            }

            (started ??= []).Add(lease);
        }

        if (passed is not null)
        {
            for (int i = passed.Count - 1; i >= 0; i--)
            {
                _idle.Push(passed[i]);
            }
        }

        return started;
    }

    /// <summary>Caller holds the gate.</summary>
    private bool QueueNeedsTags()
    {
        foreach (IWorkSource source in _queue)
        {
            if (source.RequiredTag is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Fails every queued source whose tag no worker offers any more (the last node with it left the cluster);
    /// <paramref name="error"/> makes the error for a tag.
    /// </summary>
    public void FailUnrunnable(Func<string, bool> offered, Func<string, Exception> error)
    {
        List<IWorkSource>? failed = null;
        lock (_gate)
        {
            for (LinkedListNode<IWorkSource>? node = _queue.First; node is not null;)
            {
                LinkedListNode<IWorkSource>? next = node.Next;
                if (node.Value.RequiredTag is { } tag && !offered(tag))
                {
                    _queue.Remove(node);
                    if (node.Value.IsSingleJob)
                    {
                        _queuedSingles--;
                    }

                    (failed ??= []).Add(node.Value);
                }

                node = next;
            }
        }

        foreach (IWorkSource source in failed ?? [])
        {
            source.Abandon(error(source.RequiredTag!));
        }
    }

    private static void RunAll(List<BatchLease>? started)
    {
        if (started is null)
        {
            return;
        }

        foreach (BatchLease lease in started)
        {
            lease.Worker.Run(lease);
        }
    }

    /// <summary>
    /// A worker finished its batch (or just connected). Returns with the worker running its next batch,
    /// or parked as idle.
    /// </summary>
    public void WorkerReady(WorkerSlot worker)
    {
        if (TryAssign(worker, out BatchLease? lease))
        {
            worker.Run(lease);
        }
    }

    /// <summary>
    /// Leases <paramref name="worker"/> a batch of the next work; when there is none, parks the worker
    /// as idle and returns <see langword="false"/>. The caller runs the batch.
    /// </summary>
    public bool TryAssign(WorkerSlot worker, [NotNullWhen(true)] out BatchLease? lease)
    {
        lease = null;
        bool retire;
        bool recycled = false;
        lock (_gate)
        {
            if (_closedReason is not null)
            {
                return false;
            }

            retire = worker.Retiring;
            if (!retire && MaxItemsPerWorker > 0 && worker.ItemsTaken >= MaxItemsPerWorker)
            {
                // Recycled: it stops as a shrinking server's worker does, and a fresh one takes its place.
                worker.Retiring = true;
                retire = recycled = true;
            }

            if (!retire)
            {
                lease = FillBatch(worker);
                if (lease is not null)
                {
                    return true;
                }

                _idle.Push(worker);
                return false;
            }
        }

        worker.Retire();
        if (recycled)
        {
            ReplaceWorker?.Invoke(worker);
        }

        return false;
    }

    /// <summary>
    /// Whether anything may be queued: read without the lock, so only a hint (for a worker deciding whether to ask for
    /// a batch to hold next, see <see cref="TryLeaseNext"/>, which looks again under the lock). A round trip of one job
    /// at a time asks for nothing.
    /// </summary>
    public bool MayHaveQueuedWork => _queue.Count > 0;

    /// <summary>
    /// Leases <paramref name="worker"/>, which is running a batch, the batch it runs next, to hold until then (so that
    /// it does not wait a round trip between the two). Only while no worker is idle (work queued now is for all of
    /// them), and never to a worker that is retiring or due to be recycled, which get nothing more; unlike
    /// <see cref="TryAssign"/> it never parks or retires the worker. The caller sends the batch.
    /// </summary>
    public bool TryLeaseNext(WorkerSlot worker, [NotNullWhen(true)] out BatchLease? lease)
    {
        lease = null;
        lock (_gate)
        {
            if (_closedReason is not null || _idle.Count > 0 || _queue.Count == 0 || worker.Retiring
                || (MaxItemsPerWorker > 0 && worker.ItemsTaken >= MaxItemsPerWorker))
            {
                return false;
            }

            lease = FillBatch(worker);
            return lease is not null;
        }
    }

    /// <summary>
    /// Retires <paramref name="count"/> of <paramref name="candidates"/>: idle ones first, which stop at
    /// once; busy ones stop when they next ask for work (see <see cref="TryAssign"/>).
    /// </summary>
    public void Retire(IReadOnlyList<WorkerSlot> candidates, int count)
    {
        var stopNow = new List<WorkerSlot>();
        lock (_gate)
        {
            foreach (WorkerSlot worker in candidates)
            {
                if (count > 0 && !worker.Retiring && _idle.Contains(worker))
                {
                    worker.Retiring = true;
                    RemoveIdle(worker);
                    stopNow.Add(worker);
                    count--;
                }
            }

            // Busy workers read the flag under this lock when they finish their batch.
            foreach (WorkerSlot worker in candidates)
            {
                if (count > 0 && !worker.Retiring)
                {
                    worker.Retiring = true;
                    count--;
                }
            }
        }

        foreach (WorkerSlot worker in stopNow)
        {
            worker.Retire();
        }
    }

    /// <summary>Removes a worker that died or is shutting down from the idle pool.</summary>
    public void Remove(WorkerSlot worker)
    {
        lock (_gate)
        {
            if (_idle.Contains(worker))
            {
                RemoveIdle(worker);
            }
        }
    }

    /// <summary>Caller holds the gate.</summary>
    private void RemoveIdle(WorkerSlot worker)
    {
        var keep = new List<WorkerSlot>(_idle);
        keep.Remove(worker);
        _idle.Clear();
        for (int i = keep.Count - 1; i >= 0; i--)
        {
            _idle.Push(keep[i]);
        }
    }

    /// <summary>Refuses new work and fails everything still queued with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        List<IWorkSource> abandoned;
        lock (_gate)
        {
            _closedReason ??= reason;
            abandoned = [.. _queue];
            _queue.Clear();
            _queuedSingles = 0;
            _idle.Clear();
        }

        foreach (IWorkSource source in abandoned)
        {
            source.Abandon(reason);
        }
    }

    /// <summary>Whether work is being refused because no worker can start (see <see cref="Suspend"/>).</summary>
    public bool IsSuspended
    {
        get
        {
            lock (_gate)
            {
                return _unavailableReason is not null;
            }
        }
    }

    /// <summary>
    /// No worker can start for now: fails everything queued with <paramref name="reason"/>, and new work too,
    /// at once, until <see cref="Resume"/> (a worker connected again). The server keeps trying meanwhile.
    /// </summary>
    public void Suspend(Exception reason)
    {
        List<IWorkSource> abandoned;
        lock (_gate)
        {
            if (_closedReason is not null)
            {
                return;
            }

            _unavailableReason = reason;
            abandoned = [.. _queue];
            _queue.Clear();
            _queuedSingles = 0;
        }

        foreach (IWorkSource source in abandoned)
        {
            source.Abandon(reason);
        }
    }

    /// <summary>A worker connected: work is accepted again (after <see cref="Suspend"/>).</summary>
    public void Resume()
    {
        lock (_gate)
        {
            _unavailableReason = null;
        }
    }

    /// <summary>Leases <paramref name="worker"/> the next work, or returns <see langword="null"/> when none is queued for it; caller holds the gate.</summary>
    private BatchLease? FillBatch(WorkerSlot worker)
    {
        BatchLease? lease = null;
        int limit = 1;
        IWorkSource? group = null;
        LinkedListNode<IWorkSource>? node = _queue.First;
        while (node is not null)
        {
            IWorkSource source = node.Value;
            if (source.RequiredTag is { } tag && !worker.Offers(tag))
            {
                // Work for other workers (cluster nodes with that tag) stays queued for them.
                node = node.Next;
                continue;
            }

            if (group is not null && source != group)
            {
                if (lease is not null)
                {
                    break;
                }

                group = null; // every item of the group had been cancelled: carry on with the next source
            }

            if (group is null && lease is not null && (!source.IsSingleJob
                || (source is SingleJobItem next && (next.HasOwnDeadline || next.CostKey != lease.Items[0].CostKey))))
            {
                // A batch holds only jobs known to be cheap, all of one kind, none with a deadline of its own.
                break;
            }

            WorkItem? item = source.TakeNext(_workerCount, out bool exhausted);
            if (exhausted || item is null)
            {
                LinkedListNode<IWorkSource>? following = node.Next;
                _queue.Remove(node);
                node = following;
                if (source.IsSingleJob)
                {
                    _queuedSingles--;
                }
            }

            if (item is null)
            {
                continue;
            }

            if (!item.Start(worker, worker.NextSequence()))
            {
                continue;
            }

            (lease ??= new BatchLease(this, worker)).Add(item);
            if (source.KeepsItemsTogether)
            {
                group = source;
                continue;
            }

            if (!source.IsSingleJob)
            {
                break;
            }

            if (lease.Count == 1)
            {
                limit = BatchSingleJobs && !item.HasOwnDeadline && _costs.IsBatchable(item.CostKey)
                    ? Math.Clamp((_queuedSingles + 1) / Math.Max(1, _workerCount), 1, MaxSingleBatch)
                    : 1;
            }

            if (lease.Count >= limit || (MaxItemsPerWorker > 0 && worker.ItemsTaken + lease.Count >= MaxItemsPerWorker))
            {
                break;
            }
        }

        if (lease is null)
        {
            return null;
        }

        worker.ItemsTaken += lease.Count;

        // Lowered by the lease once its last item is reported.
        Interlocked.Add(ref _running, lease.Count);
        return lease;
    }

    /// <summary>A work item going round again after its worker died.</summary>
    private sealed class RetrySource(WorkItem item) : IWorkSource
    {
        private readonly string? _requiredTag = item.RequiredTag;
        private WorkItem? _item = item;

        public bool IsSingleJob => false;

        public string? RequiredTag => _requiredTag;

        public WorkItem? TakeNext(int workers, out bool exhausted)
        {
            exhausted = true;
            WorkItem? next = _item;
            _item = null;
            return next;
        }

        public void Abandon(Exception reason) => _item?.Fail(reason);
    }
}
