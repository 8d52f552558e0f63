using System;

namespace ParallelKit;

/// <summary>
/// Marks a static method of a partial class as a job that can run on a <see cref="JobServer"/>,
/// in a worker process or on a worker thread.
/// </summary>
/// <remarks>
/// The ParallelKit generator emits a nested static class <c>Jobs</c> in the containing type with one
/// factory per job: same name, same parameters (minus a <see cref="System.Threading.CancellationToken"/>),
/// returning a <see cref="JobCall{TResult}"/> (or <see cref="JobCall"/> for <c>void</c> and
/// <see cref="System.Threading.Tasks.Task"/> jobs) that any server can run. Arguments and results are
/// marshaled with MemoryPack; the analyzers report at compile time what cannot be marshaled.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ParallelJobAttribute : Attribute
{
    /// <summary>
    /// Whether the job may run again on another worker when its worker dies under it (up to
    /// <see cref="JobServerOptions.MaxAttempts"/>). <see langword="true"/> by default; set it to
    /// <see langword="false"/> for jobs that are not idempotent (they then fail instead), like dispy's
    /// <c>reentrant=False</c>.
    /// </summary>
    public bool Retry { get; set; } = true;

    /// <summary>
    /// A node tag the job needs (e.g. <c>"gpu"</c>): on a cluster it runs only on nodes that advertise the tag
    /// (<c>ClusterOptions.Tags</c>), and fails clearly when no node in the cluster has it; a server on this machine
    /// has no tags and fails such a job. <see langword="null"/> (the default): any node. A call can also ask for a
    /// tag at submit time with <see cref="JobCall.Requiring(string)"/>.
    /// </summary>
    public string? Requires { get; set; }
}
