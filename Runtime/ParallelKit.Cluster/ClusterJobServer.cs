using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using ParallelKit.Cluster.Driver;
using ParallelKit.Cluster.Hosting;

namespace ParallelKit;

/// <summary>
/// Starts the driver of a ParallelKit cluster: an ordinary <see cref="JobServer"/> (<c>Submit</c>, <c>MapAsync</c>,
/// <c>Stats</c>, cancellation, time limits, retries) whose workers are the slots of the cluster's nodes. User code
/// that runs on a local server runs unchanged on a cluster.
/// </summary>
public static class ClusterJobServer
{
    /// <summary>
    /// Joins the cluster as its driver (a silo that runs no jobs itself, so it learns of a node's death at once) and
    /// waits for <see cref="ClusterOptions.MinNodes"/> nodes.
    /// </summary>
    /// <param name="options">The cluster's settings and this process's ports.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The job server; dispose it to leave the cluster (the nodes keep running for the next driver).</returns>
    /// <exception cref="ArgumentException">The options are incomplete or invalid (no secret, say); the message says what to set.</exception>
    /// <exception cref="InvalidOperationException">The driver's silo could not start (membership unreachable, port in use); the message says why.</exception>
    /// <exception cref="TimeoutException">Fewer than <see cref="ClusterOptions.MinNodes"/> nodes joined within <see cref="ClusterOptions.StartTimeout"/>; the message says which were refused.</exception>
    public static async Task<JobServer> StartAsync(ClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(driver: true);
        long started = Stopwatch.GetTimestamp();
        var serverOptions = new JobServerOptions
        {
            Workers = 1,
            MaxAttempts = options.MaxAttempts,
            JobTimeout = options.JobTimeout,
            MaxMessageSize = Math.Min(options.MaxMessageSize, Ipc.Wire.MaxMessageSize),
        }.Validate();

        IHost host = SiloSetup.Build(options, SiloRole.Driver, static _ => { });
        try
        {
            await Startup.StartAsync(host, options, "driver", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await Startup.StopAsync(host).ConfigureAwait(false);
            throw;
        }

        var backend = new ClusterBackend(serverOptions, options, host);
        backend.StartWatching();
        try
        {
            TimeSpan left = options.StartTimeout - Stopwatch.GetElapsedTime(started);
            await backend.WaitForNodesAsync(options.MinNodes, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await backend.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return JobServer.FromBackend(backend);
    }
}
