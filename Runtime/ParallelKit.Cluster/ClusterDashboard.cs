using System;
using System.Net;

namespace ParallelKit;

/// <summary>
/// Serves the Orleans Dashboard (silos, grains, message rates, logs) from this process, for
/// <see cref="ClusterOptions.Dashboard"/>. It binds to loopback unless told otherwise, and every request must carry
/// the cluster's secret as the password of HTTP Basic authentication (any user name): the dashboard shows the
/// cluster's internals and streams its logs.
/// </summary>
public sealed record ClusterDashboard
{
    /// <summary>The TCP port (default 8080).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The address to listen on (default loopback). Anything else exposes the dashboard beyond this machine: put TLS in front of it.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The path the dashboard is served under (default <c>/dashboard</c>).</summary>
    public string Path { get; init; } = "/dashboard";

    internal void Validate()
    {
        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"ClusterDashboard.Port must be a TCP port (1-65535), not {Port}.");
        }

        if (Address is null)
        {
            throw new ArgumentException("ClusterDashboard.Address cannot be null.");
        }

        if (string.IsNullOrEmpty(Path) || Path[0] != '/')
        {
            throw new ArgumentException($"ClusterDashboard.Path '{Path}' must start with '/'.");
        }
    }
}
