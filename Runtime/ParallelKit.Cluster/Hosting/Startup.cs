using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ParallelKit.Cluster.Hosting;

/// <summary>Starting and stopping a node's or driver's silo host with clear errors and bounded waits.</summary>
internal static class Startup
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    public static async Task StartAsync(IHost host, ClusterOptions options, string role, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.StartTimeout);
        try
        {
            await host.StartAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            string cause = ex is OperationCanceledException ? $"it did not join within {options.StartTimeout.TotalSeconds:F0} s" : $"{ex.GetType().Name}: {ex.Message}";
            throw new InvalidOperationException(
                $"The ParallelKit cluster {role} (cluster '{options.ClusterId}', silo port {options.SiloPort}, {options.Membership}) could not start: {cause}. "
                + "Check that the membership is reachable (the driver runs first with localhost membership), the ports are free, and every process uses the same cluster id.",
                ex);
        }
    }

    public static async Task StopAsync(IHost host)
    {
        try
        {
            using var limit = new CancellationTokenSource(StopTimeout);
            await host.StopAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // A silo that cannot leave in order is simply ended: the others declare it dead.
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                host.Dispose();
            }
        }
    }

    public static T Get<T>(IHost host)
        where T : notnull
        => host.Services.GetRequiredService<T>();
}
