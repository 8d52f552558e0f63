using System.Collections.Concurrent;
using System.Collections.Generic;

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

    /// <summary>
    /// Batches expected to run shorter than this (in TimeSpan ticks) may have the next batch sent behind them: a
    /// round trip (10–25 µs on two cores) is then worth saving, and a worker that holds the next batch while another
    /// goes idle delays it by no more than this. Kept well below the items of a map of real work (the 64 chunks of
    /// <c>map_speedup</c> take 0.3–1.7 ms each), whose tail must stay balanced.
    /// </summary>
    private const double ShortBatchTicks = 2_000; // 200 µs

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

    /// <summary>
    /// Whether <paramref name="batch"/> is known to be short (every item's job seen before, the whole expected under
    /// <see cref="ShortBatchTicks"/>); an item whose job has not run yet makes it unknown, so not short.
    /// </summary>
    public bool IsShort(IReadOnlyList<WorkItem> batch)
    {
        double ticks = 0;
        foreach (WorkItem item in batch)
        {
            if (item.CostKey == 0 || !_averageTicks.TryGetValue(item.CostKey, out double each))
            {
                return false;
            }

            ticks += each * item.Count;
            if (ticks >= ShortBatchTicks)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether jobs with this key are known to be cheap enough to batch.</summary>
    public bool IsBatchable(ulong key) => _averageTicks.TryGetValue(key, out double ticks) && ticks < BatchableTicks;
}
