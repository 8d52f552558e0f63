using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using ParallelKit.Cluster.Hosting;
using ParallelKit.Scheduling;

namespace ParallelKit.Cluster.Driver;

/// <summary>
/// The driver's job server backend: the dispatcher's workers are the slots of the cluster's nodes. The driver
/// hosts a silo that runs no jobs, so it hears of a node's death from membership at once: every call in flight on
/// that node fails with <see cref="SiloUnavailableException"/>, and its jobs run again elsewhere.
/// </summary>
internal sealed partial class ClusterBackend : JobBackendCore
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(20);
    private const int HelloAttempts = 3;

    private readonly ClusterOptions _cluster;
    private readonly IHost _host;
    private readonly IGrainFactory _grains;
    private readonly IClusterMembershipService _membership;
    private readonly ILogger _log;
    private readonly DriverDescription _me;
    private readonly object _gate = new();
    private readonly List<NodeEntry> _nodes = [];
    private readonly List<NodeSlot> _slots = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _watching = Task.CompletedTask;
    private int _nextSlotId;
    private bool _disposed;

    public ClusterBackend(JobServerOptions options, ClusterOptions cluster, IHost host)
        : base(options)
    {
        _cluster = cluster;
        _host = host;
        _grains = Startup.Get<IGrainFactory>(host);
        _membership = Startup.Get<IClusterMembershipService>(host);
        _log = Startup.Get<ILoggerFactory>(host).CreateLogger(SiloSetup.LogCategory);
        Self = Startup.Get<ILocalSiloDetails>(host).SiloAddress.ToParsableString();
        _me = new DriverDescription(SiloSetup.ProcessName(cluster), Self, BuildIdentity.Current);
    }

    /// <summary>This driver's silo address: the key nodes file its work under.</summary>
    public string Self { get; }

    public override bool MarshalsCalls => true;

    public override JobBackend Kind => JobBackend.Cluster;

    public override IReadOnlyList<WorkerSlot> AllWorkers => Snapshot(_gate, _slots);

    public override IReadOnlyList<NodeStats> Nodes
    {
        get
        {
            lock (_gate)
            {
                return [.. _nodes.Select(n => n.Snapshot())];
            }
        }
    }


    public override long Restarts => 0;

    public override string? CannotRun(string tag)
    {
        lock (_gate)
        {
            if (_nodes.Any(n => n.IsActive && n.HasTag(tag)))
            {
                return null;
            }

            string nodes = string.Join(", ", _nodes.Where(n => n.IsActive).Select(n => $"{n.Name} [{string.Join(",", n.Tags)}]"));
            return $"the job needs a node tagged '{tag}', and no node of cluster '{_cluster.ClusterId}' has that tag (active nodes: {(nodes.Length == 0 ? "none" : nodes)}); start a node with ClusterOptions.Tags = [\"{tag}\"]";
        }
    }

    public override void Resize(int workers)
        => throw new InvalidOperationException("A cluster's capacity is its nodes' workers: start more nodes, or set ClusterOptions.Workers on the nodes.");

    /// <summary>Starts following membership: nodes that join are introduced and given slots; nodes that go lose theirs.</summary>
    public void StartWatching() => _watching = WatchAsync(_stopping.Token);

    /// <summary>Waits until <paramref name="count"/> nodes have been admitted, or fails saying what is missing.</summary>
    public async Task WaitForNodesAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }

        CheckEnough(count);
        try
        {
            await _enough.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            string refused;
            int active;
            lock (_gate)
            {
                active = _nodes.Count(n => n.IsActive);
                refused = string.Join("; ", _nodes.Where(n => n.State == NodeState.Refused).Select(n => $"{n.Name} ({n.Address}) refused"));
            }

            throw new TimeoutException(
                $"Only {active} of the {count} node(s) ClusterOptions.MinNodes asks for joined cluster '{_cluster.ClusterId}' ({_cluster.Membership}) within {timeout.TotalSeconds:F0} s."
                + (refused.Length > 0 ? $" {refused} (the log says why)." : string.Empty)
                + " Start nodes with ClusterNode.RunAsync, the same cluster id, secret and membership, and the same build of the executable.");
        }

        void CheckEnough(int wanted)
        {
            lock (_gate)
            {
                _minNodes = wanted;
            }

            SignalIfEnough();
        }
    }

    private int _minNodes = int.MaxValue;

    private void SignalIfEnough()
    {
        bool enough;
        lock (_gate)
        {
            enough = _nodes.Count(n => n.IsActive) >= _minNodes;
        }

        if (enough)
        {
            _enough.TrySetResult();
        }
    }

    private async Task WatchAsync(CancellationToken stop)
    {
        try
        {
            await foreach (ClusterMembershipSnapshot snapshot in _membership.MembershipUpdates.WithCancellation(stop).ConfigureAwait(false))
            {
                foreach (ClusterMember member in snapshot.Members.Values)
                {
                    if (member.Name.StartsWith(SiloSetup.NodePrefix, StringComparison.Ordinal))
                    {
                        OnMember(member);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogMembershipFailed(ex);
        }
    }

    private void OnMember(ClusterMember member)
    {
        NodeEntry? node;
        bool added = false;
        lock (_gate)
        {
            node = _nodes.FirstOrDefault(n => n.Silo.Equals(member.SiloAddress));
            if (node is null && member.Status == SiloStatus.Active && !_disposed)
            {
                node = new NodeEntry(member.SiloAddress, member.Name);
                _nodes.Add(node);
                added = true;
            }
        }

        if (added)
        {
            _ = AdmitAsync(node!);
        }
        else if (node is not null && member.Status is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping)
        {
            NodeGone(node, member.Status == SiloStatus.Dead ? NodeState.Dead : NodeState.Left, member.Status == SiloStatus.Dead ? "was declared dead by the cluster" : "is leaving the cluster");
        }
    }

    private async Task AdmitAsync(NodeEntry node)
    {
        INodeGrain grain = _grains.GetGrain<INodeGrain>(node.Key);
        NodeDescription? description = null;
        for (int attempt = 1; description is null; attempt++)
        {
            try
            {
                description = await HelloAsync(grain, node).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (_stopping.IsCancellationRequested || node.State != NodeState.Active)
                {
                    return;
                }

                // A node that has just joined may not be placeable for a moment; a busy one may answer late.
                LogIntroductionFailed(node.Name, node.Address, attempt, ex.Message);
                if (attempt == HelloAttempts)
                {
                    NodeGone(node, NodeState.Dead, $"did not answer the driver's introduction {HelloAttempts} times ({ex.GetType().Name})");
                    return;
                }

                await Task.Delay(TimeSpan.FromSeconds(attempt), CancellationToken.None).ConfigureAwait(false);
            }
        }

        node.Name = description.Name;
        node.ProcessId = description.ProcessId;
        node.Tags = description.Tags;
        string? refusal = description.Refusal;
        if (refusal is null && description.Build != BuildIdentity.Current)
        {
            refusal = $"node {description.Name} runs build {description.Build}, but driver {_me.Name} runs build {BuildIdentity.Current}: start every node and the driver from the same build";
        }

        if (refusal is not null)
        {
            node.State = NodeState.Refused;
            LogNodeRefused(description.Name, node.Address, refusal);
            return;
        }

        var slots = new List<NodeSlot>(description.Workers);
        lock (_gate)
        {
            if (_disposed || node.State != NodeState.Active)
            {
                return;
            }

            node.Workers = description.Workers;
            for (int i = 0; i < description.Workers; i++)
            {
                var slot = new NodeSlot(_nextSlotId++, this, node, grain);
                node.Slots.Add(slot);
                _slots.Add(slot);
                slots.Add(slot);
            }

            node.Admitted = true;
            Dispatcher.WorkerCount = ActiveSlots();
        }

        if (_log.IsEnabled(LogLevel.Information))
        {
            LogNodeJoined(node.Name, node.Address, description.Workers, description.Tags.Length == 0 ? "no tags" : $"tags {string.Join(",", description.Tags)}");
        }
        SignalIfEnough();
        foreach (NodeSlot slot in slots)
        {
            Dispatcher.WorkerReady(slot);
        }
    }

    /// <summary>
    /// Introduces the driver to a node that membership shows active. The driver's cluster manifest (which silos host
    /// the node grain, what placement checks) follows membership by a moment, longer on a loaded machine: until it
    /// lists the node, placement refuses the call with <see cref="SiloUnavailableException"/>. Such a refusal is
    /// retried while the node is still active in membership, within <see cref="HelloTimeout"/>; without that, a node
    /// that joined at a busy moment was marked dead for good (seen with 10 nodes starting at once on 2 cores).
    /// </summary>
    private async Task<NodeDescription> HelloAsync(INodeGrain grain, NodeEntry node)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(HelloTimeout.TotalSeconds * Stopwatch.Frequency);
        for (int attempt = 0; ; attempt++)
        {
            TimeSpan left = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
            try
            {
                return await grain.HelloAsync(_me).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, _stopping.Token).ConfigureAwait(false);
            }
            catch (SiloUnavailableException) when (node.State == NodeState.Active && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(Math.Min(50 << Math.Min(attempt, 5), 1000), _stopping.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Caller holds the gate.</summary>
    private int ActiveSlots() => Math.Max(1, _nodes.Where(n => n.IsActive).Sum(n => n.Workers));

    /// <summary>A node left or died: its slots take no more work (what they had in flight fails over as its calls fail).</summary>
    private void NodeGone(NodeEntry node, NodeState state, string why)
    {
        List<NodeSlot> slots;
        lock (_gate)
        {
            if (node.State != NodeState.Active)
            {
                return;
            }

            node.State = state;
            slots = [.. node.Slots];
            Dispatcher.WorkerCount = ActiveSlots();
        }

        foreach (NodeSlot slot in slots)
        {
            Dispatcher.Remove(slot);
        }

        if (!_stopping.IsCancellationRequested)
        {
            LogNodeGone(node.Name, node.Address, why);
        }

        // Queued jobs that needed a tag only this node had would wait forever: they fail, saying so.
        Dispatcher.FailUnrunnable(tag => CannotRun(tag) is null, tag => JobServer.NoMatchingWorker("job", CannotRun(tag) ?? tag));
    }

    /// <summary>A call to a node failed: the node is taken out. Returns how to describe what happened to its jobs.</summary>
    public string NodeFailed(NodeEntry node, Exception exception)
    {
        string why = exception is SiloUnavailableException
            ? "died (the cluster declared it dead)"
            : $"failed ({exception.GetType().Name}: {exception.Message})";
        NodeGone(node, NodeState.Dead, why);
        return why;
    }

    /// <summary>
    /// Jobs a node took and never finished: they run again elsewhere (up to <see cref="ClusterOptions.MaxAttempts"/>),
    /// or fail naming the node.
    /// </summary>
    public void ItemsLost(NodeSlot slot, Dispatcher.BatchLease lease, IReadOnlyList<WorkItem> items, string why)
    {
        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
        }

        (int retried, _) = lease.Lost(items, disposed, item =>
        {
            slot.RecordFailed(item.Count, 0);
            return new JobFailedException(item.Name, slot.Id, NodeLostType,
                $"node {slot.Node.Name} ({slot.Node.Address}) {why} while running the job (attempt {item.Attempts} of {Options.MaxAttempts}{(item.IsRetryable ? string.Empty : "; the job is [ParallelJob(Retry = false)], so it was not run again")})",
                remoteStackTrace: null);
        });
        if (retried > 0)
        {
            LogJobsRetried(retried, slot.Node.Name);
        }
    }

    /// <summary>The remote type of a job lost with its node.</summary>
    public const string NodeLostType = "ParallelKit.NodeLostException";

    public override async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        Dispatcher.Close(new ObjectDisposedException(nameof(JobServer), "The job server was disposed before the job ran."));
        Diagnostics.Telemetry.ServerStopped(Dispatcher);
        long deadline = Stopwatch.GetTimestamp() + (long)(Options.ShutdownTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Dispatcher.Running > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        var abandoned = new ObjectDisposedException(nameof(JobServer), "The job server was disposed while the job was running, and the job did not finish within the shutdown timeout.");
        foreach (NodeSlot slot in AllWorkers.Cast<NodeSlot>())
        {
            slot.Abandon(abandoned);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _watching.ConfigureAwait(false);
        await Startup.StopAsync(_host).ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} ({Address}) joined with {Workers} workers, {Tags}")]
    private partial void LogNodeJoined(string node, string address, int workers, string tags);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} ({Address}) {Why}: it gets no more work")]
    private partial void LogNodeGone(string node, string address, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "Refused node {Node} ({Address}): {Reason}")]
    private partial void LogNodeRefused(string node, string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} ({Address}) did not answer the driver's introduction (try {Attempt}): {Error}")]
    private partial void LogIntroductionFailed(string node, string address, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} job(s) lost with node {Node} run again elsewhere")]
    private partial void LogJobsRetried(int count, string node);

    [LoggerMessage(Level = LogLevel.Error, Message = "Following cluster membership failed; nodes that join from now on are not seen")]
    private partial void LogMembershipFailed(Exception exception);
}
