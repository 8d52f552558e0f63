using System;
using System.Net;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using StackExchange.Redis;

namespace ParallelKit;

/// <summary>
/// How the processes of a cluster find each other: the table of members that every node and the driver read and
/// write. <see cref="Localhost"/> for one machine (development and tests), <see cref="Redis"/> for real clusters.
/// </summary>
public abstract class ClusterMembership
{
    private protected ClusterMembership()
    {
    }

    /// <summary>
    /// Development membership on one machine: the driver is the primary silo and keeps the member table in memory
    /// (so nodes need the driver to be running; use <see cref="Redis"/> where nodes must outlive a driver).
    /// </summary>
    /// <param name="primarySiloPort">The driver's <see cref="ClusterOptions.SiloPort"/>.</param>
    /// <returns>The membership setting.</returns>
    public static ClusterMembership Localhost(int primarySiloPort = 11111)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(primarySiloPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(primarySiloPort, 65535);
        return new LocalhostMembership(primarySiloPort);
    }

    /// <summary>
    /// Membership in a Redis server (<c>Microsoft.Orleans.Clustering.Redis</c>): nodes and drivers come and go
    /// independently. The member table sits outside the cluster's TLS, so the server must require a password:
    /// a configuration without <c>password=</c> is refused.
    /// </summary>
    /// <param name="configuration">A StackExchange.Redis configuration string, e.g. <c>"10.0.0.5:6379,password=…"</c>.</param>
    /// <returns>The membership setting.</returns>
    public static ClusterMembership Redis(string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The Redis configuration '{RedisMembership.Redact(configuration)}' cannot be read: {ex.Message}", nameof(configuration), ex);
        }

        if (string.IsNullOrEmpty(parsed.Password))
        {
            throw new ArgumentException(
                "The Redis configuration has no password: the membership table lives outside the cluster's TLS, so the Redis server must require one (requirepass) and the configuration must carry it (\"host:6379,password=…\").",
                nameof(configuration));
        }

        if (parsed.EndPoints.Count == 0)
        {
            throw new ArgumentException("The Redis configuration names no server (\"host:6379,password=…\").", nameof(configuration));
        }

        return new RedisMembership(configuration);
    }

    /// <summary>Whether processes advertise loopback (one machine) when no address is given.</summary>
    internal abstract bool IsLocalOnly { get; }

    /// <summary>Checks what this membership needs of the options.</summary>
    internal virtual void Validate(ClusterOptions options, bool driver)
    {
    }

    /// <summary>Configures the silo's membership and endpoints.</summary>
    internal abstract void Configure(ISiloBuilder silo, ClusterOptions options, IPAddress advertised);

    /// <summary>What to call the membership in messages (no password).</summary>
    public abstract override string ToString();

    private sealed class LocalhostMembership(int primarySiloPort) : ClusterMembership
    {
        internal override bool IsLocalOnly => true;

        internal override void Validate(ClusterOptions options, bool driver)
        {
            if (driver && options.SiloPort != primarySiloPort)
            {
                throw new ArgumentException(
                    $"With ClusterMembership.Localhost the driver is the primary silo: its SiloPort ({options.SiloPort}) must be the primarySiloPort ({primarySiloPort}).",
                    nameof(options));
            }

            if (!driver && options.SiloPort == primarySiloPort)
            {
                throw new ArgumentException(
                    $"A node's SiloPort ({options.SiloPort}) is the primary silo port, which belongs to the driver with ClusterMembership.Localhost; give the node its own port.",
                    nameof(options));
            }
        }

        internal override void Configure(ISiloBuilder silo, ClusterOptions options, IPAddress advertised)
            => silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, new IPEndPoint(IPAddress.Loopback, primarySiloPort),
                Cluster.Hosting.SiloSetup.ServiceId, options.ClusterId);

        public override string ToString() => $"localhost membership (primary silo port {primarySiloPort})";
    }

    private sealed class RedisMembership(string configuration) : ClusterMembership
    {
        internal override bool IsLocalOnly => false;

        internal override void Configure(ISiloBuilder silo, ClusterOptions options, IPAddress advertised)
        {
            silo.UseRedisClustering(redis =>
            {
                ConfigurationOptions parsed = ConfigurationOptions.Parse(configuration);
                parsed.AbortOnConnectFail = false;
                redis.ConfigurationOptions = parsed;
            });
            silo.Configure<Orleans.Configuration.ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = Cluster.Hosting.SiloSetup.ServiceId;
            });
            silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        }

        public override string ToString() => $"Redis membership at {Redact(configuration)}";

        internal static string Redact(string text)
        {
            int at = text.IndexOf("password=", StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                return text;
            }

            int end = text.IndexOf(',', at);
            return string.Concat(text.AsSpan(0, at), "password=***", end < 0 ? string.Empty : text[end..]);
        }
    }
}
