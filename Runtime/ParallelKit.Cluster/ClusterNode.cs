using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using ParallelKit.Cluster.Hosting;
using ParallelKit.Cluster.Node;

namespace ParallelKit;

/// <summary>
/// Makes this process a node of a ParallelKit cluster: it hosts an Orleans silo and runs the jobs drivers send it on
/// its own worker processes (<see cref="ClusterOptions.Workers"/>). The process is the user's own executable, so
/// every <c>[ParallelJob]</c> it was built with can run here; nothing is shipped at run time.
/// </summary>
public static class ClusterNode
{
    /// <summary>
    /// Runs a node until <paramref name="cancellationToken"/> is cancelled or the process gets SIGTERM or SIGINT,
    /// then leaves the cluster in order. A node the cluster declares dead (it hung, or was cut off) cannot rejoin:
    /// Orleans ends its process with a non-zero exit code, for a supervisor (systemd, Kubernetes) to restart it.
    /// </summary>
    /// <param name="options">The cluster's settings and this node's ports, workers and tags.</param>
    /// <param name="cancellationToken">Stops the node.</param>
    /// <returns>A task that completes when the node has left the cluster and its workers have exited.</returns>
    /// <exception cref="ArgumentException">The options are incomplete or invalid (no secret, say); the message says what to set.</exception>
    /// <exception cref="InvalidOperationException">The node could not join the cluster within <see cref="ClusterOptions.StartTimeout"/>; the message says why.</exception>
    public static async Task RunAsync(ClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(driver: false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bool signalled = false;
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        IHost host = SiloSetup.Build(options, SiloRole.Node, services => services.AddSingleton<NodeRunner>());
        try
        {
            // The local worker processes start now, so the node has its slots ready when the first batch comes.
            NodeRunner runner = host.Services.GetRequiredService<NodeRunner>();
            try
            {
                await Startup.StartAsync(host, options, "node", stop.Token).ConfigureAwait(false);
                using CancellationTokenRegistration stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(stop.Cancel);
                await WatchDriversAsync(host.Services.GetRequiredService<IClusterMembershipService>(), runner, stop.Token).ConfigureAwait(false);
                if (!signalled && !cancellationToken.IsCancellationRequested)
                {
                    throw new InvalidOperationException(
                        $"ParallelKit cluster node {runner.Name}: its silo stopped without being asked to (the cluster declared it dead, or it lost the membership table). A node cannot rejoin under the same identity: restart the process.");
                }
            }
            finally
            {
                await runner.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await Startup.StopAsync(host).ConfigureAwait(false);
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            signalled = true;
            stop.Cancel();
        }
    }

    /// <summary>Until stopped: cancels the work of drivers that leave or die (nobody would read its results).</summary>
    private static async Task WatchDriversAsync(IClusterMembershipService membership, NodeRunner runner, CancellationToken stop)
    {
        try
        {
            await foreach (ClusterMembershipSnapshot snapshot in membership.MembershipUpdates.WithCancellation(stop).ConfigureAwait(false))
            {
                foreach (ClusterMember member in snapshot.Members.Values.Where(m => m.Name.StartsWith(SiloSetup.DriverPrefix, StringComparison.Ordinal)))
                {
                    if (member.Status is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping)
                    {
                        runner.DriverGone(member.SiloAddress.ToParsableString());
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
