using System;
using System.Collections.Generic;
using System.Linq;
using Orleans.Runtime;

namespace ParallelKit.Cluster.Driver;

/// <summary>One node as the driver knows it: where it is, what it offers, its slots and its state.</summary>
internal sealed class NodeEntry(SiloAddress silo, string siloName)
{
    private volatile NodeState _state = NodeState.Active;

    public SiloAddress Silo { get; } = silo;

    /// <summary>The grain key that reaches this node (its silo address).</summary>
    public string Key { get; } = silo.ToParsableString();

    public string Name { get; set; } = siloName.StartsWith(Hosting.SiloSetup.NodePrefix, StringComparison.Ordinal) ? siloName[Hosting.SiloSetup.NodePrefix.Length..] : siloName;

    public string Address { get; } = $"{silo.Endpoint.Address}:{silo.Endpoint.Port}";

    public int ProcessId { get; set; }

    public int Workers { get; set; }

    public IReadOnlyList<string> Tags { get; set; } = [];

    /// <summary>Whether the node has been introduced and given slots.</summary>
    public bool Admitted { get; set; }

    public NodeState State
    {
        get => _state;
        set => _state = value;
    }

    public bool IsActive => _state == NodeState.Active && Admitted;

    public List<NodeSlot> Slots { get; } = [];

    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    public NodeStats Snapshot()
    {
        WorkerStats[] slots = [.. Slots.Select(s => s.Snapshot())];
        return new NodeStats(Name, Address, Workers, slots.Sum(s => s.JobsCompleted), slots.Sum(s => s.JobsFailed),
            TimeSpan.FromTicks(slots.Sum(s => s.BusyTime.Ticks)), State, Tags);
    }
}
