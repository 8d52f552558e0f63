using System.Collections.Concurrent;

namespace ParallelKit.Scheduling;

/// <summary>
/// Running average of each job's execution time, to decide how many queued jobs one message may carry:
/// tiny jobs are batched (one round trip for many), anything slower goes one at a time so that idle
/// workers always take the next job (pp's dynamic load balancing).
/// </summary>
internal sealed class CostModel
{
    /// <summary>Jobs cheaper than this (in TimeSpan ticks, 100 ns) may share a message.</summary>
    private const double BatchableTicks = 1_000; // 100 µs

    private readonly ConcurrentDictionary<ulong, double> _averageTicks = new();

    public void Observe(ulong key, int jobs, long elapsedTicks)
    {
        if (key == 0 || jobs <= 0)
        {
            return;
        }

        double sample = (double)elapsedTicks / jobs;
        _averageTicks.AddOrUpdate(key, sample, (_, old) => (old * 0.8) + (sample * 0.2));
    }

    /// <summary>Whether jobs with this key are known to be cheap enough to batch.</summary>
    public bool IsBatchable(ulong key) => _averageTicks.TryGetValue(key, out double ticks) && ticks < BatchableTicks;
}
