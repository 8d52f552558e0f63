using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// Progress that moves (a tqdm bar over <c>MapAsync</c>): reports by item as results arrive, from the first
/// results on, in steps of a few items, never jumping over large parts of the map.
/// </summary>
public sealed class MapProgressTests
{
    private const int Items = 400;

    /// <summary>No report may cover more than this many new items (5 % of the map).</summary>
    private const int MaxStep = Items / 20;

    [Theory]
    [InlineData(JobBackend.Threads)]
    [InlineData(JobBackend.Processes)]
    public async Task Progress_comes_by_item_from_the_first_result_to_the_last(JobBackend backend)
    {
        await using var server = JobServer.Start(new JobServerOptions { Backend = backend, Workers = 2 });
        await server.WaitForConnectedWorkersAsync(2);
        var progress = new RecordingProgress();

        int[] results = await server.MapAsync(Enumerable.Range(0, Items), i => StreamJobs.Jobs.Millisecond(i), progress);

        Assert.Equal(Enumerable.Range(0, Items), results);
        List<MapProgress> reports = progress.Reports;
        Assert.All(reports, r => Assert.Equal(Items, r.Total));
        Assert.Equal(Items, reports[^1].Completed);

        // The first report comes with the first results, not after a first big chunk.
        Assert.True(reports[0].Completed <= MaxStep, $"first report at {reports[0].Completed} of {Items}");

        // Then in small steps that only go up, whichever worker's results come first.
        for (int i = 1; i < reports.Count; i++)
        {
            int step = reports[i].Completed - reports[i - 1].Completed;
            Assert.True(step > 0, $"report {i} went from {reports[i - 1].Completed} to {reports[i].Completed}");
            Assert.True(step <= MaxStep, $"report {i} jumped {step} items ({reports[i - 1].Completed} to {reports[i].Completed})");
        }
    }

    [Fact]
    public async Task A_map_chunk_on_threads_reports_each_item_not_the_chunk()
    {
        // One worker: every item runs on it, one after the other, so each result is its own report.
        await using var server = JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, Workers = 1 });
        var progress = new RecordingProgress();
        await server.MapAsync(Enumerable.Range(0, 100), i => TestJobs.Jobs.Increment(i), progress);
        Assert.Equal(Enumerable.Range(1, 100), progress.Reports.Select(r => r.Completed));
    }

    /// <summary>Records each report on the thread that makes it (<see cref="Progress{T}"/> would post them, out of order).</summary>
    private sealed class RecordingProgress : IProgress<MapProgress>
    {
        private readonly List<MapProgress> _reports = [];

        public List<MapProgress> Reports
        {
            get
            {
                lock (_reports)
                {
                    return [.. _reports];
                }
            }
        }

        public void Report(MapProgress value)
        {
            lock (_reports)
            {
                _reports.Add(value);
            }
        }
    }
}
