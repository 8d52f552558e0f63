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
    protected JobBackendCore(JobServerOptions options)
    {
        Options = options;
        Costs = new CostModel();
        Dispatcher = new Dispatcher(Costs, options.Workers)
        {
            BatchSingleJobs = options.JobTimeout is null,
            MaxItemsPerWorker = options.MaxJobsPerWorker,
            MaxAttempts = options.MaxAttempts,
        };
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

    /// <summary>A copy of a backend's <paramref name="workers"/>, taken under the <paramref name="gate"/> that guards them (for <see cref="AllWorkers"/>).</summary>
    protected static IReadOnlyList<WorkerSlot> Snapshot<TWorker>(object gate, List<TWorker> workers)
        where TWorker : WorkerSlot
    {
        lock (gate)
        {
            return [.. workers];
        }
    }

    /// <summary>How many items went round again after their worker or node was lost (see <see cref="Dispatcher.BatchLease.Lost"/>).</summary>
    public long Retries => Dispatcher.Retries;

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
}
