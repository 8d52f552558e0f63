using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Scheduling;

/// <summary>
/// What a <see cref="JobServer"/> needs from the place its jobs run: workers that take batches from the
/// <see cref="Dispatcher"/>. Generated code never sees this seam, so new backends (a cluster, say)
/// plug in here without touching it.
/// </summary>
internal abstract class JobBackendCore : IAsyncDisposable
{
    private long _retries;

    protected JobBackendCore(JobServerOptions options)
    {
        Options = options;
        Costs = new CostModel();
        Dispatcher = new Dispatcher(Costs, options.Workers) { BatchSingleJobs = options.JobTimeout is null, MaxItemsPerWorker = options.MaxJobsPerWorker };
        Diagnostics.Telemetry.ServerStarted(Dispatcher);
    }

    public JobServerOptions Options { get; }

    /// <summary>The options' logger, or one that discards everything.</summary>
    public Microsoft.Extensions.Logging.ILogger Logger => Options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public CostModel Costs { get; }

    public Dispatcher Dispatcher { get; }

    /// <summary>Whether submitted calls must be marshaled (the worker is another process).</summary>
    public abstract bool MarshalsCalls { get; }

    public abstract JobBackend Kind { get; }

    /// <summary>Every worker the server has had, in id order.</summary>
    public abstract IReadOnlyList<WorkerSlot> AllWorkers { get; }

    /// <summary>How many items went round again after their worker or node was lost (see <see cref="RetryOrFail"/>).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>The number of workers the server keeps (changed by <see cref="Resize"/>).</summary>
    public int TargetWorkers => Dispatcher.WorkerCount;

    /// <summary>Grows (starts workers) or shrinks (idle workers stop at once, busy ones after their batch).</summary>
    public abstract void Resize(int workers);

    public abstract long Restarts { get; }

    /// <summary>
    /// Why a job needing <paramref name="tag"/> cannot run here, or <see langword="null"/> when some worker offers it.
    /// Local workers offer no tags.
    /// </summary>
    public virtual string? CannotRun(string tag)
        => $"the job needs a node tagged '{tag}', but this job server runs jobs on {Kind.ToString().ToLowerInvariant()} of this machine, which have no tags (tags belong to cluster nodes: ClusterOptions.Tags)";

    /// <summary>One row per node for a cluster backend; <see langword="null"/> for local backends.</summary>
    public virtual IReadOnlyList<NodeStats>? Nodes => null;

    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Work handed to a worker that never ran it (it was already dying, or stopping for the server to shrink): back to
    /// the queue without charging an attempt, or failed once the server is disposed.
    /// </summary>
    public void Reassign(IReadOnlyList<WorkItem> items, bool disposed)
    {
        var again = new List<WorkItem>(items.Count);
        foreach (WorkItem item in items)
        {
            if (item.IsFinished)
            {
                continue;
            }

            if (disposed)
            {
                item.Fail(Disposed());
                continue;
            }

            if (item.TryRequeue())
            {
                item.Attempts = Math.Max(0, item.Attempts - 1);
                again.Add(item);
            }
        }

        if (again.Count > 0)
        {
            Dispatcher.Requeue(again);
        }
    }

    /// <summary>
    /// Work lost with the worker or node that ran it: each unfinished item goes round again (a map chunk split over
    /// the workers left) while it has attempts left and may be retried, and fails otherwise with
    /// <paramref name="failure"/>'s exception (the item and its attempt count are known to it). Retried items are
    /// requeued, first in line. Where retries are wanted, a map chunk that delivered results on this attempt is not
    /// charged for it: what it delivered is kept, and the rest goes on (a job that kills its worker every time is still
    /// charged once it heads its chunk, so it fails after <see cref="JobServerOptions.MaxAttempts"/>).
    /// </summary>
    /// <returns>How many items were retried and how many failed.</returns>
    public (int Retried, int Failed) RetryOrFail(IReadOnlyList<WorkItem> lost, bool disposed, Func<WorkItem, Exception> failure)
    {
        var retry = new List<WorkItem>();
        int retried = 0;
        int failed = 0;
        foreach (WorkItem item in lost)
        {
            if (item.IsFinished)
            {
                continue;
            }

            if (disposed)
            {
                item.Fail(Disposed());
                continue;
            }

            if (item.MadeProgress && Options.MaxAttempts > 1)
            {
                item.Attempts = Math.Max(0, item.Attempts - 1);
            }

            if (item.Attempts < Options.MaxAttempts && item.IsRetryable && item.TryRequeue())
            {
                retried++;
                retry.AddRange(item.SplitForRetry(Dispatcher.WorkerCount));
                continue;
            }

            failed++;
            item.Fail(failure(item));
        }

        if (retried > 0)
        {
            Interlocked.Add(ref _retries, retried);
            Diagnostics.Telemetry.Retried.Add(retried);
            Dispatcher.Requeue(retry);
        }

        return (retried, failed);
    }

    /// <summary>What a job still queued or running gets when the server is disposed.</summary>
    private static ObjectDisposedException Disposed() => new(nameof(JobServer), "The job server was disposed while the job was running.");
}
