using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>The ParallelKit meter and activity source, read the way dotnet-counters and OpenTelemetry read them.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task The_meter_counts_submitted_completed_and_failed_jobs_and_job_durations()
    {
        var totals = new ConcurrentDictionary<string, double>();
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
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, old) => old + value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name + ".count", 1, (_, old) => old + 1));
        listener.Start();

        await using (var server = JobServer.Start(new JobServerOptions { Workers = 2 }))
        {
            await server.MapAsync(Enumerable.Range(0, 10), i => TestJobs.Jobs.Increment(i));
            await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.Throw("counted")));
            listener.RecordObservableInstruments();
        }

        // Other tests run beside this one and count too: at least ours must be there.
        Assert.True(totals.GetValueOrDefault("parallelkit.jobs.submitted") >= 11);
        Assert.True(totals.GetValueOrDefault("parallelkit.jobs.completed") >= 10);
        Assert.True(totals.GetValueOrDefault("parallelkit.jobs.failed") >= 1);
        Assert.True(totals.GetValueOrDefault("parallelkit.job.duration.count") >= 2);
        Assert.True(totals.ContainsKey("parallelkit.jobs.queued"), "the queue gauge reports");
        Assert.True(totals.ContainsKey("parallelkit.jobs.running"), "the running gauge reports");
    }

    [Fact]
    public async Task A_job_span_is_recorded_and_its_trace_continues_in_the_worker()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is ParallelKitDiagnostics.ActivitySourceName or "ParallelKit.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var testSource = new ActivitySource("ParallelKit.Tests");

        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        using Activity request = testSource.StartActivity("request")!;
        string workerTrace = await server.Submit(TestJobs.Jobs.CurrentTraceId());
        int[] mapped = await server.MapAsync(Enumerable.Range(0, 3), i => TestJobs.Jobs.Increment(i));

        Assert.Equal(request.TraceId.ToString(), workerTrace);
        Assert.Same(request, Activity.Current); // submitting did not change the caller's current activity
        Activity job = Assert.Single(stopped, a => a.OperationName == "parallelkit.job" && a.TraceId == request.TraceId);
        Assert.Equal(request.SpanId, job.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Ok, job.Status);
        Assert.Equal("ParallelKit.Tests.TestJobs.CurrentTraceId", job.GetTagItem("parallelkit.job.name"));
        Assert.Single(stopped, a => a.OperationName == "parallelkit.map" && a.TraceId == request.TraceId);
        Assert.Equal([1, 2, 3], mapped);
    }

    [Fact]
    public async Task The_logger_hears_about_worker_starts_and_deaths()
    {
        var logger = new CollectingLogger();
        await using (var server = JobServer.Start(new JobServerOptions { Workers = 1, Logger = logger }))
        {
            await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.Crash(3))).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(2, await server.Submit(TestJobs.Jobs.Add(1, 1)).AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
        }

        Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Debug && e.Message.StartsWith("Worker 0 started", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Debug && e.Message.Contains("connected", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && e.Message.Contains("exited unexpectedly with exit code 3", StringComparison.Ordinal)
            && e.Message.Contains("1 failed", StringComparison.Ordinal));
    }

    internal sealed class CollectingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
