using System;
using Orleans.Configuration;

namespace ParallelKit;

/// <summary>
/// How quickly the cluster declares a node dead, and so how soon its jobs run again elsewhere. Measured on one
/// loopback machine (3 nodes and a driver): <see cref="Fast"/> declared a SIGKILLed node dead after ~2 s and a
/// SIGSTOPped (hung) one after ~8 s; <see cref="Default"/> (Orleans' own settings) after 12–14 s and ~60 s.
/// </summary>
public sealed class FailureDetection
{
    private FailureDetection(string name, TimeSpan probeTimeout, int missedProbes, TimeSpan tableRefresh, TimeSpan iAmAlivePublish, TimeSpan voteExpiration, int votes)
    {
        Name = name;
        ProbeTimeout = probeTimeout;
        NumMissedProbesLimit = missedProbes;
        TableRefreshTimeout = tableRefresh;
        IAmAliveTablePublishTimeout = iAmAlivePublish;
        DeathVoteExpirationTimeout = voteExpiration;
        NumVotesForDeathDeclaration = votes;
    }

    /// <summary>
    /// Probes every second; two missed probes suspect a node, one vote declares it dead: a killed node's jobs run
    /// again elsewhere within ~2–3 s, a hung node's within ~8–10 s. Costs a little more probe traffic, and a node
    /// stalled for a few seconds (a long GC pause, a swapping machine) may be declared dead and end itself; its
    /// jobs then run again (delivery is at-least-once).
    /// </summary>
    public static FailureDetection Fast { get; } = new("Fast", TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), 1);

    /// <summary>Orleans' own settings (probe timeout 5 s, 3 missed probes, 2 votes): a killed node is declared dead after ~12–14 s, a hung one after ~60 s.</summary>
    public static FailureDetection Default { get; } = new("Default", TimeSpan.FromSeconds(5), 3, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(120), 2);

    /// <summary>The profile's name.</summary>
    public string Name { get; }

    /// <summary>How long a probe may take before it counts as missed.</summary>
    public TimeSpan ProbeTimeout { get; }

    /// <summary>Missed probes in a row after which a node votes its peer dead.</summary>
    public int NumMissedProbesLimit { get; }

    /// <summary>How often each process re-reads the member table.</summary>
    public TimeSpan TableRefreshTimeout { get; }

    /// <summary>How often each process writes its heartbeat to the member table.</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; }

    /// <summary>How long a death vote counts.</summary>
    public TimeSpan DeathVoteExpirationTimeout { get; }

    /// <summary>Votes needed to declare a node dead.</summary>
    public int NumVotesForDeathDeclaration { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    internal void Configure(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
        options.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout;
        options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
    }
}
