using System;
using System.Threading;
using ParallelKit;

namespace ParallelKit.Cluster.TestApp;

/// <summary>The jobs the cluster tests run: plain [ParallelJob]s, unchanged from a local server's.</summary>
public static partial class Work
{
    /// <summary>Squares <paramref name="value"/> after sleeping, and says which node process ran it.</summary>
    [ParallelJob]
    public static long Square(int value, int delayMs)
    {
        if (delayMs > 0)
        {
            Thread.Sleep(delayMs);
        }

        return (long)value * value;
    }

    /// <summary>Sleeps in steps until its token is cancelled.</summary>
    [ParallelJob]
    public static async System.Threading.Tasks.Task<int> Napper(int milliseconds, CancellationToken cancellationToken)
    {
        await System.Threading.Tasks.Task.Delay(milliseconds, cancellationToken);
        return milliseconds;
    }

    /// <summary>The trace id the job runs under on its node (the submitter's, when its trace continues).</summary>
    [ParallelJob]
    public static string CurrentTraceId() => System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "none";

    /// <summary>The length of its argument.</summary>
    [ParallelJob]
    public static int Length(byte[] data) => data.Length;

    /// <summary>A job that must not run twice.</summary>
    [ParallelJob(Retry = false)]
    public static int Once(int value, int delayMs)
    {
        Thread.Sleep(delayMs);
        return value;
    }

    /// <summary>Throws, to check that a job's own exception comes back from its node.</summary>
    [ParallelJob]
    public static int Throws(string message) => throw new InvalidOperationException(message);

    /// <summary>Runs only on nodes tagged <c>gpu</c>; says which node ran it.</summary>
    [ParallelJob(Requires = "gpu")]
    public static string OnGpuNode() => Environment.GetEnvironmentVariable("PK_TEST_NODE") ?? "?";

    /// <summary>The name of the node that runs the job.</summary>
    [ParallelJob]
    public static string WhereAmI() => Environment.GetEnvironmentVariable("PK_TEST_NODE") ?? "?";
}
