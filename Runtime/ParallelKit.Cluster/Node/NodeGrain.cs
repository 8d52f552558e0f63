using System.Threading.Tasks;
using Orleans;
using Orleans.Concurrency;

namespace ParallelKit.Cluster.Node;

/// <summary>
/// The node's grain: forwards to the node's <see cref="NodeRunner"/>. Reentrant, so many slots' batches run at once
/// (each awaits its records on the local job server).
/// </summary>
[NodePlacement]
[Reentrant]
internal sealed class NodeGrain(NodeRunner runner) : Grain, INodeGrain
{
    public Task<NodeDescription> HelloAsync(DriverDescription driver) => Task.FromResult(runner.Describe(driver));

    public async Task<Immutable<byte[]>> RunAsync(string driver, int slot, Immutable<byte[]> batch)
        => new(await runner.RunAsync(driver, slot, batch.Value).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext));

    public Task CancelAsync(string driver, int slot, long sequence)
    {
        runner.Cancel(driver, slot, sequence);
        return Task.CompletedTask;
    }
}
