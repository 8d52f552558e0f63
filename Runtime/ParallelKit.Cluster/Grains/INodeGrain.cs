using System.Threading.Tasks;
using Orleans;
using Orleans.Concurrency;

namespace ParallelKit.Cluster;

/// <summary>
/// A node's door for drivers: one activation per node silo, pinned there by <see cref="NodePlacementDirector"/>
/// (its key is the silo's address), so a call reaches exactly the node the driver chose.
/// </summary>
[Alias("ParallelKit.Cluster.INodeGrain")]
internal interface INodeGrain : IGrainWithStringKey
{
    /// <summary>A driver introduces itself; the node answers with what it offers, or why it refuses the driver.</summary>
    [Alias("Hello")]
    Task<NodeDescription> HelloAsync(DriverDescription driver);

    /// <summary>Runs one slot's batch (see <see cref="NodeProtocol"/>) on the node's worker processes and returns the results.</summary>
    [Alias("Run")]
    Task<Immutable<byte[]>> RunAsync(string driver, int slot, Immutable<byte[]> batch);

    /// <summary>Cancels a record of a batch: dropped if queued, its token cancelled if running.</summary>
    [Alias("Cancel")]
    [OneWay]
    Task CancelAsync(string driver, int slot, long sequence);
}

/// <summary>What a node tells a driver about itself.</summary>
[GenerateSerializer]
[Alias("ParallelKit.Cluster.NodeDescription")]
[Immutable]
internal sealed record NodeDescription(
    [property: Id(0)] string Name,
    [property: Id(1)] string Host,
    [property: Id(2)] int ProcessId,
    [property: Id(3)] int Workers,
    [property: Id(4)] string[] Tags,
    [property: Id(5)] string Build,
    [property: Id(6)] string? Refusal);

/// <summary>What a driver tells a node about itself.</summary>
[GenerateSerializer]
[Alias("ParallelKit.Cluster.DriverDescription")]
[Immutable]
internal sealed record DriverDescription(
    [property: Id(0)] string Name,
    [property: Id(1)] string Address,
    [property: Id(2)] string Build);
