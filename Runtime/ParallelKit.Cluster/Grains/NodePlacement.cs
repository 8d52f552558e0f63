using System;
using System.Linq;
using System.Threading.Tasks;
using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace ParallelKit.Cluster;

/// <summary>Places a <see cref="INodeGrain"/> on the silo named by its key, and nowhere else.</summary>
[GenerateSerializer]
[Alias("ParallelKit.Cluster.NodePlacementStrategy")]
internal sealed class NodePlacementStrategy : PlacementStrategy
{
    public static NodePlacementStrategy Instance { get; } = new();
}

/// <summary>Marks the node grain class for <see cref="NodePlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class NodePlacementAttribute : PlacementAttribute
{
    public NodePlacementAttribute()
        : base(NodePlacementStrategy.Instance)
    {
    }
}

/// <summary>
/// Puts a node grain on the silo its key names. Orleans' own strategies would not do: a stateless worker does not
/// spread load over silos, and placement hints passed in the request context leaked across calls (both measured).
/// A key naming a silo that is not (or no longer) in the cluster fails the call instead of placing the grain
/// anywhere else: a driver never gets work done by a node it did not choose.
/// </summary>
internal sealed class NodePlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        string key = target.GrainIdentity.Key.ToString() ?? string.Empty;
        SiloAddress wanted;
        try
        {
            wanted = SiloAddress.FromParsableString(key);
        }
        catch (FormatException ex)
        {
            throw new OrleansException($"ParallelKit: '{key}' is not a node's silo address.", ex);
        }

        if (!context.GetCompatibleSilos(target).Contains(wanted))
        {
            throw new SiloUnavailableException($"ParallelKit: node {wanted} is not in the cluster (it left or was declared dead).");
        }

        return Task.FromResult(wanted);
    }
}
