using System;
using System.Collections.Generic;
using System.Threading;

namespace ParallelKit.Scheduling;

/// <summary>
/// One worker of a job server, as the dispatcher sees it: it runs one batch of work items at a time and
/// reports back to the dispatcher when the batch is done.
/// </summary>
internal abstract class WorkerSlot
{
    private long _completed;
    private long _failed;
    private long _timedOut;
    private long _crashed;
    private long _canceled;
    private long _busyTicks;
    private bool _retiring;
    private long _sequence;

    protected WorkerSlot(int id, Dispatcher dispatcher)
    {
        Id = id;
        Dispatcher = dispatcher;
    }

    public int Id { get; }

    protected Dispatcher Dispatcher { get; }

    /// <summary>Set when the server shrinks: the worker finishes its batch, takes no more, and stops.</summary>
    public bool Retiring
    {
        get => Volatile.Read(ref _retiring);
        set => Volatile.Write(ref _retiring, value);
    }

    /// <summary>Work items handed to this worker so far (for <see cref="Dispatcher.MaxItemsPerWorker"/>); changed under the dispatcher's lock.</summary>
    public int ItemsTaken { get; set; }

    public abstract int ProcessId { get; }

    public abstract bool IsAlive { get; }

    /// <summary>Whether the worker is still starting (it serves once connected).</summary>
    public virtual bool IsStarting => false;

    /// <summary>
    /// Starts running the batch <paramref name="lease"/> holds; reports each item's outcome to the lease, and asks the
    /// dispatcher for more (<see cref="Dispatcher.WorkerReady"/>) once the batch is done.
    /// </summary>
    public abstract void Run(Dispatcher.BatchLease lease);

    /// <summary>The dispatcher will give a retiring worker nothing more: stop it.</summary>
    public abstract void Retire();

    /// <summary>Whether the worker runs jobs that need <paramref name="tag"/> (cluster nodes advertise tags; local workers have none).</summary>
    public virtual bool Offers(string tag) => false;

    /// <summary>Asks the worker to cancel the running record with this sequence number.</summary>
    public abstract void RequestCancel(long sequence);

    public void RecordCompleted(int jobs, long elapsedTicks) => Record(JobOutcome.Completed, jobs, elapsedTicks);

    public void RecordFailed(int jobs, long elapsedTicks) => Record(JobOutcome.Failed, jobs, elapsedTicks);

    /// <summary>
    /// Counts <paramref name="jobs"/> that ended on this worker with <paramref name="outcome"/>, in the worker's stats
    /// and the meter alike; called once per job, before its submitter can see the outcome.
    /// </summary>
    public void Record(JobOutcome outcome, int jobs, long elapsedTicks)
    {
        switch (outcome)
        {
            case JobOutcome.Completed:
                Interlocked.Add(ref _completed, jobs);
                break;
            case JobOutcome.TimedOut:
                Interlocked.Add(ref _timedOut, jobs);
                break;
            case JobOutcome.Crashed:
                Interlocked.Add(ref _crashed, jobs);
                break;
            case JobOutcome.Canceled:
                Interlocked.Add(ref _canceled, jobs);
                break;
            default:
                Interlocked.Add(ref _failed, jobs);
                break;
        }

        Interlocked.Add(ref _busyTicks, elapsedTicks);
        Diagnostics.Telemetry.RecordFinished(outcome, jobs, elapsedTicks);
    }

    /// <summary>Numbers the records sent to this worker; assigned when a record is claimed, before it can be cancelled.</summary>
    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public WorkerStats Snapshot()
    {
        long timedOut = Interlocked.Read(ref _timedOut);
        long crashed = Interlocked.Read(ref _crashed);
        bool starting = IsStarting;
        return new(Id, ProcessId, Interlocked.Read(ref _completed), Interlocked.Read(ref _failed) + timedOut + crashed,
            TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks)), IsAlive || starting)
        {
            JobsTimedOut = timedOut,
            JobsCrashed = crashed,
            JobsCanceled = Interlocked.Read(ref _canceled),
            IsStarting = starting,
        };
    }
}
