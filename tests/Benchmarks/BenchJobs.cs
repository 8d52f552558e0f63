using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;

namespace ParallelKit.Benchmarks;

/// <summary>The jobs the benchmarks run; the same workloads as the Python peer scripts.</summary>
public static partial class BenchJobs
{
    /// <summary><c>inc(x) = x + 1</c>: the tiny task of <c>pool_roundtrip</c> / <c>pool_throughput</c>.</summary>
    [ParallelJob]
    public static int Inc(int x) => x + 1;

    /// <summary>The empty target of <c>spawn_join</c>.</summary>
    [ParallelJob]
    public static void Empty()
    {
    }

    /// <summary>One <c>map_speedup</c> chunk: primes in <c>[from, to)</c> by trial division.</summary>
    [ParallelJob]
    public static int CountPrimes(int from, int to) => Primes.CountRange(from, to);

    /// <summary>
    /// Sleeps <paramref name="milliseconds"/> ms and returns the <see cref="Stopwatch"/> timestamp at which it started.
    /// On Linux that is CLOCK_MONOTONIC, the same clock in every process, so the parent can compare it with its own.
    /// </summary>
    [ParallelJob]
    public static long SleepStamped(int milliseconds)
    {
        long start = Stopwatch.GetTimestamp();
        if (milliseconds > 0)
        {
            Thread.Sleep(milliseconds);
        }

        return start;
    }

    /// <summary>The environment variable a cluster node of the benchmarks names itself in (its workers inherit it).</summary>
    public const string NodeVariable = "PK_BENCH_NODE";

    /// <summary>The <c>nap</c> of <c>dask_cluster.py</c>: sleeps 1 ms and says where it ran (the node's name).</summary>
    [ParallelJob]
    public static string Nap()
    {
        Thread.Sleep(1);
        return Environment.GetEnvironmentVariable(NodeVariable) ?? "?";
    }

    /// <summary>
    /// Appends <c>item node start-timestamp</c> to a file of its own worker process in <paramref name="directory"/>,
    /// then sleeps <paramref name="milliseconds"/> ms: the trace <c>cluster_node_death</c> reads to see which
    /// items ran on a killed node and when they started again elsewhere (CLOCK_MONOTONIC, shared by all processes).
    /// </summary>
    [ParallelJob]
    public static int Traced(int item, int milliseconds, string directory)
    {
        long start = Stopwatch.GetTimestamp();
        string node = Environment.GetEnvironmentVariable(NodeVariable) ?? "?";
        File.AppendAllText(Path.Combine(directory, $"trace.{Environment.ProcessId}"),
            string.Create(CultureInfo.InvariantCulture, $"{item} {node} {start}\n"));
        Thread.Sleep(milliseconds);
        return item + 1;
    }
}

/// <summary>The <c>map_speedup</c> workload, exactly as README.md of the Python baselines defines it.</summary>
public static class Primes
{
    /// <summary>The number of chunks the range is split into.</summary>
    public const int Chunks = 64;

    /// <summary>n &lt; 2 → false; n &lt; 4 → true; even → false; odd trial divisors from 3 while d*d ≤ n.</summary>
    public static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        if (n < 4)
        {
            return true;
        }

        if (n % 2 == 0)
        {
            return false;
        }

        for (int d = 3; d * d <= n; d += 2)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Counts the primes in <c>[lo, hi)</c>.</summary>
    public static int CountRange(int lo, int hi)
    {
        int c = 0;
        for (int n = lo; n < hi; n++)
        {
            if (IsPrime(n))
            {
                c++;
            }
        }

        return c;
    }

    /// <summary><c>k</c> contiguous chunks of <c>limit / k</c> numbers; the last takes the remainder.</summary>
    public static (int From, int To)[] MakeChunks(int limit, int k = Chunks)
    {
        int step = limit / k;
        var chunks = new (int From, int To)[k];
        for (int i = 0; i < k; i++)
        {
            chunks[i] = (i * step, i == k - 1 ? limit : (i + 1) * step);
        }

        return chunks;
    }

    /// <summary>π(limit) for the limits the Python scripts know; null otherwise.</summary>
    public static int? KnownPi(int limit) => limit switch
    {
        200_000 => 17_984,
        500_000 => 41_538,
        1_000_000 => 78_498,
        2_000_000 => 148_933,
        _ => null,
    };
}
