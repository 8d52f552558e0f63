namespace ParallelKit;

/// <summary>
/// Names to subscribe to ParallelKit's telemetry: a <see cref="System.Diagnostics.Metrics.Meter"/> that
/// <c>dotnet-counters</c> and OpenTelemetry read, and an <see cref="System.Diagnostics.ActivitySource"/>
/// with a span per job whose context is carried into the worker process.
/// </summary>
/// <remarks>
/// Instruments: <c>parallelkit.jobs.submitted</c>, <c>parallelkit.jobs.completed</c>,
/// <c>parallelkit.jobs.failed</c>, <c>parallelkit.jobs.retried</c>, <c>parallelkit.workers.restarts</c>
/// (counters); <c>parallelkit.job.duration</c> (histogram, seconds, measured in the worker);
/// <c>parallelkit.jobs.queued</c> and <c>parallelkit.jobs.running</c> (gauges, summed over live servers).
/// Spans: <c>parallelkit.job</c> and <c>parallelkit.map</c> in the submitting process,
/// <c>parallelkit.job.run</c> in the worker, a child of the submitting span.
/// </remarks>
public static class ParallelKitDiagnostics
{
    /// <summary>The name of the meter.</summary>
    public const string MeterName = "ParallelKit";

    /// <summary>The name of the activity source.</summary>
    public const string ActivitySourceName = "ParallelKit";
}
