using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Tests that read the process-wide meter exactly: nothing else runs beside them.</summary>
[CollectionDefinition(nameof(ExactMeterGroup), DisableParallelization = true)]
public sealed class ExactMeterGroup;

/// <summary>
/// Each way a job can end is counted once, alike by the meter, <see cref="JobServer.Stats"/> and the log, and as the
/// caller saw it: completed, failed (threw), timed out, crashed (its worker died and it was not retried), cancelled,
/// and retried.
/// </summary>
[Collection(nameof(ExactMeterGroup))]
public sealed class TelemetryOutcomeTests
{
    [Fact]
    public async Task Every_outcome_adds_up_in_the_meter_the_stats_and_the_log()
    {
        var counts = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ParallelKitDiagnostics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                key += $"/{tag.Key}={tag.Value}";
            }

            counts.AddOrUpdate(key, value, (_, old) => old + value);
        });
        listener.Start();

        var logger = new TelemetryTests.CollectingLogger();
        string marker = Path.Combine(Path.GetTempPath(), "parallelkit-outcomes-" + Guid.NewGuid().ToString("N"));
        JobServerStats stats;
        try
        {
            await using var server = JobServer.Start(new JobServerOptions { Workers = 2, MaxAttempts = 2, Logger = logger });

            // Completed.
            Assert.Equal(2, await server.Submit(TestJobs.Jobs.Increment(1)));

            // Failed: the job threw.
            await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.Throw("counted")));

            // Timed out: its worker is killed.
            await Assert.ThrowsAsync<JobTimeoutException>(async () => await server.Submit(TestJobs.Jobs.Sleep(60_000), TimeSpan.FromMilliseconds(500)));

            // Crashed: its worker dies on both attempts; retried once, then it fails.
            JobFailedException crash = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.Crash(3)));
            Assert.Equal(JobFailedException.WorkerCrashed, crash.RemoteType);

            // Retried: its worker dies on the first attempt; the second completes.
            await server.Submit(TestJobs.Jobs.KillSelfOnce(marker));

            // Cancelled while it ran.
            using var cancel = new CancellationTokenSource();
            Job<int> waiting = server.Submit(TestJobs.Jobs.WaitForCancellationAsync(60), cancel.Token);
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (waiting.Status == JobStatus.Queued && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.Equal(JobStatus.Running, waiting.Status);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);

            stats = server.Stats;
        }
        finally
        {
            File.Delete(marker);
        }

        string Report() => string.Join("\n", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} = {c.Value}"))
            + "\n" + stats + "\n" + string.Join("\n", logger.Entries.Select(e => e.Message));

        // The meter.
        Assert.True(counts.GetValueOrDefault("parallelkit.jobs.submitted") == 6, Report());
        Assert.True(counts.GetValueOrDefault("parallelkit.jobs.completed") == 2, Report());
        Assert.True(counts.GetValueOrDefault("parallelkit.jobs.failed/error.type=exception") == 1, Report());
        Assert.True(counts.GetValueOrDefault("parallelkit.jobs.failed/error.type=timeout") == 1, Report());
        Assert.True(counts.GetValueOrDefault("parallelkit.jobs.failed/error.type=worker_crash") == 1, Report());
        Assert.True(counts.GetValueOrDefault("parallelkit.jobs.canceled") == 1, Report());
        Assert.True(counts.GetValueOrDefault("parallelkit.jobs.retried") == 2, Report());

        // The stats, per worker and in the table.
        Assert.True(stats.TotalCompleted == 2 && stats.TotalFailed == 3 && stats.TotalTimedOut == 1 && stats.TotalCrashed == 1 && stats.TotalCanceled == 1 && stats.Retries == 2, Report());
        Assert.Contains("2 completed, 3 failed (1 timed out, 1 crashed), 1 canceled, 2 retries", stats.ToString(), StringComparison.Ordinal);
        Assert.Equal(3, stats.Workers.Sum(w => w.JobsFailed));

        // The log: a time-out, and each worker death with what became of its jobs, adding up to the same.
        string[] log = [.. logger.Entries.Select(e => e.Message)];
        Assert.Single(log, m => m.Contains("ran longer than", StringComparison.Ordinal));
        int retried = 0;
        int failed = 0;
        foreach (string message in log)
        {
            Match death = Regex.Match(message, @"exited unexpectedly with .*; (?<retried>\d+) job\(s\) retried, (?<failed>\d+) failed");
            if (death.Success)
            {
                retried += int.Parse(death.Groups["retried"].Value, System.Globalization.CultureInfo.InvariantCulture);
                failed += int.Parse(death.Groups["failed"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.True(retried == 2 && failed == 1, Report());
    }
}
