using System;
using System.Collections.Generic;
using System.Net;
using Microsoft.Extensions.Logging;

namespace ParallelKit;

/// <summary>
/// How a process takes part in a ParallelKit cluster, as a node (<see cref="ClusterNode.RunAsync"/>) or as the
/// driver (<see cref="ClusterJobServer.StartAsync"/>). A record: give every process the same cluster settings
/// and each its own ports with <c>with</c>.
/// </summary>
/// <example>
/// <code>
/// var cluster = new ClusterOptions
/// {
///     ClusterId = "primes",
///     Secret = Environment.GetEnvironmentVariable("PK_CLUSTER_SECRET"),
///     Membership = ClusterMembership.Localhost(primarySiloPort: 11111),
///     FailureDetection = FailureDetection.Fast,
/// };
/// await ClusterNode.RunAsync(cluster with { SiloPort = 11112, GatewayPort = 30001, Workers = 4 });
/// </code>
/// </example>
public sealed record ClusterOptions
{
    /// <summary>The shortest secret accepted.</summary>
    public const int MinSecretLength = 12;

    /// <summary>The cluster's name; processes with another id never see each other. Letters, digits, '-', '_' and '.'.</summary>
    public string ClusterId { get; init; } = "parallelkit";

    /// <summary>
    /// The shared secret every node and the driver must hold (at least <see cref="MinSecretLength"/> characters).
    /// Required: there is no default, so a cluster never runs open. Every connection between processes is TLS
    /// with certificates bound to this secret; a process with another secret is refused on both sides.
    /// </summary>
    public string? Secret { get; init; }

    /// <summary>How processes find each other: <see cref="ClusterMembership.Localhost"/> or <see cref="ClusterMembership.Redis"/>.</summary>
    public ClusterMembership Membership { get; init; } = ClusterMembership.Localhost();

    /// <summary>How fast a killed or hung node is declared dead (<see cref="FailureDetection.Fast"/> or <see cref="FailureDetection.Default"/>).</summary>
    public FailureDetection FailureDetection { get; init; } = FailureDetection.Default;

    /// <summary>This process's silo port (node-to-node traffic). Each process on one machine needs its own.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>This process's gateway port (Orleans clients; ParallelKit itself does not use it). Each process on one machine needs its own.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>
    /// The address other machines reach this process at. <see langword="null"/>: loopback with
    /// <see cref="ClusterMembership.Localhost"/>, otherwise this machine's first non-loopback IPv4 address.
    /// </summary>
    public IPAddress? AdvertisedAddress { get; init; }

    /// <summary>A node's name in logs and <see cref="JobServer.Stats"/>; <see langword="null"/>: <c>host-pid</c>.</summary>
    public string? NodeName { get; init; }

    /// <summary>A node's worker processes, which are also the jobs it runs at once (its slots). Default: one per core.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Tags a node advertises (e.g. <c>gpu</c>). Jobs declared <c>[ParallelJob(Requires = "gpu")]</c>, or made with
    /// <c>call.Requiring("gpu")</c>, run only on nodes with that tag.
    /// </summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The driver waits for this many nodes before <see cref="ClusterJobServer.StartAsync"/> returns.</summary>
    public int MinNodes { get; init; } = 1;

    /// <summary>How long a process waits to join the cluster (and the driver for <see cref="MinNodes"/>) before failing with the reason.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many times a job may be started in all before it fails: a job whose node or worker died runs again
    /// elsewhere until then (delivery is at-least-once). Jobs marked <c>[ParallelJob(Retry = false)]</c> fail instead.
    /// </summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The longest one job may run (enforced on its node, which kills and replaces the worker); <see langword="null"/>: no limit.</summary>
    public TimeSpan? JobTimeout { get; init; }

    /// <summary>The most bytes one job's marshaled arguments or result may take (default 32 MiB; a message between processes carries at most 100 MiB).</summary>
    public int MaxMessageSize { get; init; } = 32 * 1024 * 1024;

    /// <summary>
    /// Serve the Orleans Dashboard from this process (<see langword="null"/>, the default: no dashboard). It binds to
    /// loopback unless told otherwise and asks for the cluster's secret.
    /// </summary>
    public ClusterDashboard? Dashboard { get; init; }

    /// <summary>Where ParallelKit's and Orleans' messages go; <see langword="null"/>: standard error, warnings and up (ParallelKit's own: information and up).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Checks the options, throwing a clear error for what is missing or wrong.</summary>
    internal void Validate(bool driver)
    {
        if (string.IsNullOrEmpty(Secret))
        {
            throw new ArgumentException("ClusterOptions.Secret is required: a ParallelKit cluster never runs without a shared secret (set the same secret, e.g. from the PK_CLUSTER_SECRET environment variable, on every node and the driver).");
        }

        if (Secret.Length < MinSecretLength)
        {
            throw new ArgumentException($"ClusterOptions.Secret must have at least {MinSecretLength} characters.");
        }

        if (string.IsNullOrWhiteSpace(ClusterId) || !IsPlainName(ClusterId))
        {
            throw new ArgumentException($"ClusterOptions.ClusterId '{ClusterId}' must be non-empty and made of letters, digits, '-', '_' and '.'.");
        }

        _ = Membership ?? throw new ArgumentException("ClusterOptions.Membership cannot be null.");
        _ = FailureDetection ?? throw new ArgumentException("ClusterOptions.FailureDetection cannot be null.");
        CheckPort(SiloPort, nameof(SiloPort));
        CheckPort(GatewayPort, nameof(GatewayPort));
        if (SiloPort == GatewayPort)
        {
            throw new ArgumentException($"ClusterOptions.SiloPort and GatewayPort are both {SiloPort}; give each its own port.");
        }

        if (!driver && Workers < 1)
        {
            throw new ArgumentException("A node needs at least one worker.");
        }

        if (MinNodes < 0)
        {
            throw new ArgumentException("MinNodes cannot be negative.");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("StartTimeout must be positive.");
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentException("MaxAttempts must be at least 1.");
        }

        if (JobTimeout is { } limit && limit <= TimeSpan.Zero)
        {
            throw new ArgumentException("JobTimeout must be positive.");
        }

        if (MaxMessageSize < 1024 || MaxMessageSize > Cluster.NodeProtocol.MaxRecordBytes)
        {
            throw new ArgumentException($"MaxMessageSize must be between 1 KiB and {Cluster.NodeProtocol.MaxRecordBytes:N0} bytes.");
        }

        foreach (string tag in Tags ?? throw new ArgumentException("ClusterOptions.Tags cannot be null."))
        {
            if (string.IsNullOrWhiteSpace(tag) || !IsPlainName(tag))
            {
                throw new ArgumentException($"Node tag '{tag}' must be non-empty and made of letters, digits, '-', '_' and '.'.");
            }
        }

        Dashboard?.Validate();
        Membership.Validate(this, driver);
    }

    private static void CheckPort(int port, string name)
    {
        if (port is < 1 or > 65535)
        {
            throw new ArgumentException($"ClusterOptions.{name} must be a TCP port (1-65535), not {port}.");
        }
    }

    internal static bool IsPlainName(string name)
    {
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
