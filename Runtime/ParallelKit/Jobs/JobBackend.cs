namespace ParallelKit;

/// <summary>Where a <see cref="JobServer"/> runs its jobs.</summary>
public enum JobBackend
{
    /// <summary>
    /// Worker processes (the user's own executable relaunched), one per core by default; arguments and
    /// results are marshaled. Like Python's <c>multiprocessing.Pool</c> and pp.
    /// </summary>
    Processes,

    /// <summary>Worker threads in this process; nothing is marshaled. Like <c>ThreadPoolExecutor</c>.</summary>
    Threads,

    /// <summary>
    /// Nodes of a cluster, each running the jobs it receives on worker processes of its own (the
    /// <c>ParallelKit.Cluster</c> package: a server made by <c>ClusterJobServer.StartAsync</c>, not by
    /// <see cref="JobServer.Start"/>).
    /// </summary>
    Cluster,
}
