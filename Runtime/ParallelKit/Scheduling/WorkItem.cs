using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;

namespace ParallelKit.Scheduling;

/// <summary>
/// One unit a worker receives: a single submitted job, or a chunk of a map. Sent to worker processes
/// as one record (a MemoryPack stream of <c>count, first map index (-1 outside maps), (key, arguments…) × count</c>)
/// and completed from one result record.
/// </summary>
internal abstract class WorkItem
{
    // Changed only by the dispatcher and its leases (Scheduling/): backends read them, and report outcomes to the lease.
    private int _attempts;
    private WorkerSlot? _worker;
    private long _sequence;
    private Dispatcher.BatchLease? _lease;

    /// <summary>
    /// How many times the item has been handed to a worker (less the runs a lease did not charge it for). A split
    /// item starts with its parent's count.
    /// </summary>
    public int Attempts
    {
        get => Volatile.Read(ref _attempts);
        private protected init => _attempts = value;
    }

    /// <summary>The worker the item was last handed to.</summary>
    public WorkerSlot? Worker => Volatile.Read(ref _worker);

    /// <summary>The item's sequence number on <see cref="Worker"/>'s channel.</summary>
    public long Sequence => Volatile.Read(ref _sequence);

    /// <summary>
    /// Claims the item for <paramref name="worker"/> under <paramref name="sequence"/> and counts the attempt;
    /// <see langword="false"/> when it was cancelled or failed while queued. Called by the dispatcher, under its lock.
    /// </summary>
    internal bool Start(WorkerSlot worker, long sequence)
    {
        // Published before the item can be seen running, so a cancellation always finds its record.
        Volatile.Write(ref _sequence, sequence);
        Volatile.Write(ref _worker, worker);
        if (!TryStart(worker))
        {
            return false;
        }

        // Written under the dispatcher's lock (as a refund is by the one lease that released the item): no race to lose.
        Volatile.Write(ref _attempts, _attempts + 1);
        return true;
    }

    /// <summary>Takes back the charge for the last run (it never ran, or it delivered results before its worker died).</summary>
    internal void RefundAttempt()
    {
        int attempts = Volatile.Read(ref _attempts);
        Volatile.Write(ref _attempts, Math.Max(0, attempts - 1));
    }

    /// <summary>Puts the item in <paramref name="lease"/>'s hands, as the dispatcher hands it out.</summary>
    internal void HoldBy(Dispatcher.BatchLease lease) => Volatile.Write(ref _lease, lease);

    /// <summary>
    /// Takes the item out of <paramref name="lease"/>'s hands; <see langword="true"/> only the first time, and only
    /// while that lease holds it (not once it was released, nor once another lease took it up again).
    /// </summary>
    internal bool ReleaseFrom(Dispatcher.BatchLease lease) => Interlocked.CompareExchange(ref _lease, null, lease) == lease;

    /// <summary>
    /// A time limit of this item's own (given at submit), overriding the server's <see cref="JobServerOptions.JobTimeout"/>;
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none (whatever the server's).
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Whether the item has a finite time limit of its own (it then travels alone).</summary>
    public bool HasOwnDeadline => Timeout is { } own && own != System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>The item's time limit: its own, else <paramref name="serverDefault"/>; <see langword="null"/> for none.</summary>
    public TimeSpan? LimitOr(TimeSpan? serverDefault)
        => Timeout == System.Threading.Timeout.InfiniteTimeSpan ? null : Timeout ?? serverDefault;

    /// <summary>What to call the item in errors: the job's name, or the map's items.</summary>
    public abstract string Name { get; }

    /// <summary>The job key, for cost estimates when batching; 0 for mixed chunks.</summary>
    public abstract ulong CostKey { get; }

    /// <summary>Number of jobs in the item (1, or a chunk's length).</summary>
    public abstract int Count { get; }

    /// <summary>
    /// Claims the item for a worker (see <see cref="Start"/>, which counts the attempt). <see langword="false"/> when
    /// it was cancelled or failed while queued; the dispatcher then drops it.
    /// </summary>
    protected abstract bool TryStart(WorkerSlot worker);

    /// <summary>Writes the record's payload (count, then key and arguments per job).</summary>
    public abstract void WritePayload(FrameBuffer frame);

    /// <summary>
    /// Writes the record's payload within <paramref name="limit"/> bytes where the item can shrink to fit (a map
    /// chunk keeps the items that fit, and hands the rest to <see cref="TakeLeftover"/>); an item that cannot
    /// shrink writes it all, and the caller fails it when it is over.
    /// </summary>
    public virtual void WritePayload(FrameBuffer frame, int limit) => WritePayload(frame);

    /// <summary>The part of the item <see cref="WritePayload(FrameBuffer, int)"/> left out, to queue on its own; once.</summary>
    public virtual WorkItem? TakeLeftover() => null;

    /// <summary>
    /// Completes part of the item from a <see cref="Ipc.RecordStatus.Partial"/> result; returns how many of its
    /// jobs that part held, or -1 when the item has no parts (a protocol violation).
    /// </summary>
    public virtual int CompletePart(ReadOnlySpan<byte> part) => -1;

    /// <summary>Whether the current attempt delivered some results (a map chunk's parts) before its worker died.</summary>
    public virtual bool MadeProgress => false;

    /// <summary>
    /// What runs again after the item's worker died: the item itself, or (a map chunk) the jobs it has not
    /// delivered, in up to <paramref name="pieces"/> smaller items, so that the work left can finish.
    /// </summary>
    public virtual IReadOnlyList<WorkItem> SplitForRetry(int pieces) => [this];

    /// <summary>Takes the item back for another run; false when its caller has finished it meanwhile (cancelled it), so it must not run again.</summary>
    public virtual bool TryRequeue() => true;

    /// <summary>Completes from a worker's successful result payload (the results, in order).</summary>
    public abstract void Complete(ReadOnlySpan<byte> results);

    /// <summary>Completes as cancelled (the worker observed the job's cancellation).</summary>
    public abstract void Canceled();

    /// <summary>Fails the item (and, for a chunk, its whole map).</summary>
    public abstract void Fail(Exception exception);

    /// <summary>The node tag a worker must offer to run the item (<see cref="JobCall.RequiredTag"/>), or <see langword="null"/>.</summary>
    public virtual string? RequiredTag => null;

    /// <summary>Whether the item may run again after its worker died.</summary>
    public abstract bool IsRetryable { get; }

    /// <summary>Whether the submitter asked to cancel the item (as opposed to a shutdown stopping it).</summary>
    public abstract bool CancellationRequested { get; }

    /// <summary>Whether the item no longer needs running (finished, failed or cancelled).</summary>
    public abstract bool IsFinished { get; }

    /// <summary>
    /// Ends an in-process item that did not return: cancelled by its submitter, over its time limit,
    /// stopped by the server's disposal, or failed.
    /// </summary>
    protected void EndInProcess(WorkerSlot worker, int jobs, long elapsedTicks, Exception exception, string name, TimeSpan? timeout, CancellationToken stopping)
    {
        bool cancelled = exception is OperationCanceledException;
        if (cancelled && CancellationRequested)
        {
            worker.Record(JobOutcome.Canceled, jobs, elapsedTicks);
            Canceled();
        }
        else if (timeout is { } limit && (exception is TimeoutException || (cancelled && !stopping.IsCancellationRequested)))
        {
            worker.Record(JobOutcome.TimedOut, jobs, elapsedTicks);
            Fail(new JobTimeoutException(name, worker.Id, limit));
        }
        else if (cancelled && stopping.IsCancellationRequested)
        {
            worker.Record(JobOutcome.Failed, jobs, elapsedTicks);
            Fail(new ObjectDisposedException(nameof(JobServer), "The job server was disposed while the job was running."));
        }
        else
        {
            worker.Record(JobOutcome.Failed, jobs, elapsedTicks);
            Fail(Internal.RemoteError.FromLocal(name, worker.Id, exception));
        }
    }

    /// <summary>Runs the item in this process (threads backend).</summary>
    /// <param name="worker">The worker thread's slot.</param>
    /// <param name="timeout">The job timeout, if any: an item over it fails and is abandoned.</param>
    /// <param name="stopping">Cancelled when the server is disposed: running jobs see their token cancelled.</param>
    public abstract ValueTask RunInProcessAsync(WorkerSlot worker, TimeSpan? timeout, CancellationToken stopping);
}
