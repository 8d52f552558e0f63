using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ParallelKit;

/// <summary>What one worker has done so far.</summary>
/// <param name="WorkerId">The worker's id (stable for the server's life; a restarted worker gets a new id).</param>
/// <param name="ProcessId">The worker's process id; this process's id for the threads backend.</param>
/// <param name="JobsCompleted">Jobs (and map items) the worker completed successfully.</param>
/// <param name="JobsFailed">Jobs (and map items) that failed on the worker: threw, timed out, or lost the worker (crashed).</param>
/// <param name="BusyTime">Time the worker spent running jobs.</param>
/// <param name="IsAlive">Whether the worker is still serving (or starting to).</param>
public sealed record WorkerStats(int WorkerId, int ProcessId, long JobsCompleted, long JobsFailed, TimeSpan BusyTime, bool IsAlive)
{
    /// <summary>Of <see cref="JobsFailed"/>, those that ran longer than their time limit (the worker was killed).</summary>
    public long JobsTimedOut { get; init; }

    /// <summary>Of <see cref="JobsFailed"/>, those whose worker died under them and that were not retried.</summary>
    public long JobsCrashed { get; init; }

    /// <summary>Jobs (and map items) cancelled by their submitter while they ran on the worker.</summary>
    public long JobsCanceled { get; init; }

    /// <summary>Whether the worker is still starting: it has not connected yet.</summary>
    public bool IsStarting { get; init; }

    /// <summary>All jobs the worker ran, whatever their outcome.</summary>
    public long JobCount => JobsCompleted + JobsFailed + JobsCanceled;
}

/// <summary>Where a cluster node stands, as the driver sees it.</summary>
public enum NodeState
{
    /// <summary>In the cluster and taking work.</summary>
    Active,

    /// <summary>Declared dead by the cluster (killed, hung or cut off); its unfinished jobs ran again elsewhere.</summary>
    Dead,

    /// <summary>Left the cluster in an orderly way.</summary>
    Left,

    /// <summary>Refused by the driver: another build of the executable, or an unusable configuration (the log says which).</summary>
    Refused,
}

/// <summary>What one cluster node has done for this driver (one row of pp's table per node).</summary>
/// <param name="Node">The node's name (its silo name).</param>
/// <param name="Address">Host and silo port, <c>host:port</c>.</param>
/// <param name="Workers">The node's worker processes (its slots).</param>
/// <param name="JobsCompleted">Jobs (and map items) the node completed successfully for this driver.</param>
/// <param name="JobsFailed">Jobs (and map items) that failed on the node, its own death included.</param>
/// <param name="BusyTime">Time the node's workers spent on this driver's jobs.</param>
/// <param name="State">Whether the node is active, dead, left or refused.</param>
/// <param name="Tags">The tags the node advertises (e.g. <c>gpu</c>).</param>
public sealed record NodeStats(string Node, string Address, int Workers, long JobsCompleted, long JobsFailed, TimeSpan BusyTime, NodeState State, IReadOnlyList<string> Tags)
{
    /// <summary>All jobs the node ran.</summary>
    public long JobCount => JobsCompleted + JobsFailed;
}

/// <summary>
/// A snapshot of a <see cref="JobServer"/>'s work: per-worker job counts and busy time, like
/// Parallel Python's <c>print_stats()</c>. <see cref="ToString"/> prints pp's table.
/// </summary>
public sealed class JobServerStats
{
    internal JobServerStats(JobBackend backend, IReadOnlyList<WorkerStats> workers, TimeSpan elapsed, int queued, int running, long retries, long restarts)
    {
        Backend = backend;
        Workers = workers;
        Elapsed = elapsed;
        QueuedJobs = queued;
        RunningJobs = running;
        Retries = retries;
        WorkerRestarts = restarts;
    }

    /// <summary>The server's backend.</summary>
    public JobBackend Backend { get; }

    /// <summary>One entry per worker the server has had, in id order.</summary>
    public IReadOnlyList<WorkerStats> Workers { get; }

    /// <summary>Time since the server started.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Submitted jobs waiting for a worker.</summary>
    public int QueuedJobs { get; }

    /// <summary>Jobs handed to workers and not yet finished.</summary>
    public int RunningJobs { get; }

    /// <summary>Jobs re-run on another worker after their worker died.</summary>
    public long Retries { get; }

    /// <summary>Workers started to replace workers that died.</summary>
    public long WorkerRestarts { get; }

    /// <summary>
    /// For a cluster's server, one entry per node that has been in the cluster, in the order they joined;
    /// <see langword="null"/> for a server on this machine.
    /// </summary>
    public IReadOnlyList<NodeStats>? Nodes { get; init; }

    /// <summary>All jobs run, summed over the workers (over the nodes for a cluster).</summary>
    public long TotalJobs => Nodes?.Sum(n => n.JobCount) ?? Workers.Sum(w => w.JobCount);

    /// <summary>All completed jobs, summed over the workers (over the nodes for a cluster).</summary>
    public long TotalCompleted => Nodes?.Sum(n => n.JobsCompleted) ?? Workers.Sum(w => w.JobsCompleted);

    /// <summary>All failed jobs (timed out and crashed included), summed over the workers (over the nodes for a cluster).</summary>
    public long TotalFailed => Nodes?.Sum(n => n.JobsFailed) ?? Workers.Sum(w => w.JobsFailed);

    /// <summary>Jobs that ran longer than their time limit, summed over the workers.</summary>
    public long TotalTimedOut => Workers.Sum(w => w.JobsTimedOut);

    /// <summary>Jobs whose worker died under them and that were not retried, summed over the workers.</summary>
    public long TotalCrashed => Workers.Sum(w => w.JobsCrashed);

    /// <summary>Jobs cancelled while they ran, summed over the workers.</summary>
    public long TotalCanceled => Workers.Sum(w => w.JobsCanceled);

    /// <summary>Busy time summed over the workers (over the nodes for a cluster).</summary>
    public TimeSpan TotalBusyTime => TimeSpan.FromTicks(Nodes?.Sum(n => n.BusyTime.Ticks) ?? Workers.Sum(w => w.BusyTime.Ticks));

    /// <summary>Prints pp's job execution statistics table.</summary>
    /// <returns>The table, several lines.</returns>
    public override string ToString()
    {
        if (Nodes is not null)
        {
            return NodeTable(Nodes);
        }

        CultureInfo inv = CultureInfo.InvariantCulture;
        long total = TotalJobs;
        var text = new StringBuilder();
        text.AppendLine("Job execution statistics:");
        text.AppendLine(" job count | % of all jobs | job time sum | time per job | failed | job server");
        foreach (WorkerStats w in Workers)
        {
            double share = total == 0 ? 0 : 100.0 * w.JobCount / total;
            double sum = w.BusyTime.TotalSeconds;
            double per = w.JobCount == 0 ? 0 : sum / w.JobCount;
            string where = Backend == JobBackend.Threads
                ? string.Create(inv, $"thread {w.WorkerId}")
                : string.Create(inv, $"worker {w.WorkerId} (pid {w.ProcessId}){(w.IsStarting ? ", starting" : w.IsAlive ? string.Empty : ", exited")}");
            text.AppendLine(string.Create(inv, $" {w.JobCount,9} | {share,13:F2} | {sum,12:F4} | {per,12:F6} | {w.JobsFailed,6} | {where}"));
        }

        text.AppendLine(string.Create(inv, $"Time elapsed since server creation {Elapsed.TotalSeconds:F4} s"));
        text.AppendLine(string.Create(inv, $"{TotalCompleted} completed, {TotalFailed} failed ({TotalTimedOut} timed out, {TotalCrashed} crashed), {TotalCanceled} canceled, {Retries} retries, {WorkerRestarts} restarts"));
        text.Append(string.Create(inv, $"{RunningJobs} active, {QueuedJobs} queued, {Workers.Count(w => w.IsAlive)} workers"));
        return text.ToString();
    }

    private string NodeTable(IReadOnlyList<NodeStats> nodes)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        long total = TotalJobs;
        var text = new StringBuilder();
        text.AppendLine("Job execution statistics:");
        text.AppendLine(" job count | % of all jobs | job time sum | time per job | failed | workers | node");
        foreach (NodeStats n in nodes)
        {
            double share = total == 0 ? 0 : 100.0 * n.JobCount / total;
            double sum = n.BusyTime.TotalSeconds;
            double per = n.JobCount == 0 ? 0 : sum / n.JobCount;
            string tags = n.Tags.Count == 0 ? string.Empty : $" [{string.Join(",", n.Tags)}]";
            string state = n.State == NodeState.Active ? string.Empty : $", {n.State.ToString().ToLowerInvariant()}";
            text.AppendLine(string.Create(inv, $" {n.JobCount,9} | {share,13:F2} | {sum,12:F4} | {per,12:F6} | {n.JobsFailed,6} | {n.Workers,7} | {n.Node} ({n.Address}){tags}{state}"));
        }

        text.AppendLine(string.Create(inv, $"Time elapsed since server creation {Elapsed.TotalSeconds:F4} s"));
        text.Append(string.Create(inv, $"{RunningJobs} active, {QueuedJobs} queued, {nodes.Count(n => n.State == NodeState.Active)} nodes, {nodes.Where(n => n.State == NodeState.Active).Sum(n => n.Workers)} workers, {Retries} retries"));
        return text.ToString();
    }
}
