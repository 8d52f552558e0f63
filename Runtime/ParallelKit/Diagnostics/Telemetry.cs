using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using ParallelKit.Scheduling;

namespace ParallelKit.Diagnostics;

/// <summary>The instruments behind <see cref="ParallelKitDiagnostics"/>. Cheap when nobody listens.</summary>
internal static class Telemetry
{
    private static readonly ConcurrentDictionary<Dispatcher, byte> LiveServers = new();

    public static ActivitySource Source => JobTracing.Source;

    public static readonly Meter Meter = new(ParallelKitDiagnostics.MeterName, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> Submitted = Meter.CreateCounter<long>(
        "parallelkit.jobs.submitted", "{job}", "Jobs submitted; each map item counts as one.");

    public static readonly Counter<long> Completed = Meter.CreateCounter<long>(
        "parallelkit.jobs.completed", "{job}", "Jobs that returned.");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>(
        "parallelkit.jobs.failed", "{job}", "Jobs that failed; error.type says how: exception (it threw or could not run), timeout, or worker_crash (its worker died and it was not retried).");

    public static readonly Counter<long> Canceled = Meter.CreateCounter<long>(
        "parallelkit.jobs.canceled", "{job}", "Jobs cancelled by their submitter while they ran.");

    public static readonly Counter<long> Retried = Meter.CreateCounter<long>(
        "parallelkit.jobs.retried", "{job}", "Jobs run again on another worker after their worker died.");

    public static readonly Counter<long> WorkerRestarts = Meter.CreateCounter<long>(
        "parallelkit.workers.restarts", "{worker}", "Workers started to replace workers that died.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "parallelkit.job.duration", "s", "Time a job ran in its worker.");

    static Telemetry()
    {
        // Gauges report through the meter when observed; nothing else refers to them.
        Meter.CreateObservableGauge(
            "parallelkit.jobs.queued", static () => (long)LiveServers.Keys.Sum(d => d.Queued), "{work_item}", "Work items (a job, or a chunk of map items) waiting for a worker, over live servers.");
        Meter.CreateObservableGauge(
            "parallelkit.jobs.running", static () => (long)LiveServers.Keys.Sum(d => d.Running), "{work_item}", "Work items (a job, or a chunk of map items) handed to workers, over live servers.");
    }

    public static void ServerStarted(Dispatcher dispatcher) => LiveServers.TryAdd(dispatcher, 0);

    public static void ServerStopped(Dispatcher dispatcher) => LiveServers.TryRemove(dispatcher, out _);

    /// <summary>Records <paramref name="jobs"/> jobs that ended with <paramref name="outcome"/> and together ran <paramref name="elapsedTicks"/>.</summary>
    public static void RecordFinished(JobOutcome outcome, int jobs, long elapsedTicks)
    {
        switch (outcome)
        {
            case JobOutcome.Completed:
                Completed.Add(jobs);
                break;
            case JobOutcome.Canceled:
                Canceled.Add(jobs);
                break;
            default:
                Failed.Add(jobs, new KeyValuePair<string, object?>("error.type", outcome switch
                {
                    JobOutcome.TimedOut => "timeout",
                    JobOutcome.Crashed => "worker_crash",
                    _ => "exception",
                }));
                break;
        }

        if (Duration.Enabled && jobs > 0)
        {
            Duration.Record(System.TimeSpan.FromTicks(elapsedTicks).TotalSeconds / jobs);
        }
    }

    /// <summary>
    /// Starts a span for work submitted from this process without making it current: the submitter's
    /// <see cref="Activity.Current"/> stays what it was, so later submits are not its children.
    /// </summary>
    public static Activity? StartSubmitted(string name, string jobName)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        Activity? previous = Activity.Current;
        Activity? activity = Source.StartActivity(name, ActivityKind.Producer);
        activity?.SetTag("parallelkit.job.name", jobName);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends a submitted span with the outcome of its work.</summary>
    public static void Finish(Activity? activity, JobStatus status)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(status == JobStatus.Completed ? ActivityStatusCode.Ok : ActivityStatusCode.Error, status == JobStatus.Completed ? null : status.ToString());

        // Stopping makes the span's parent current on this thread, which may be anyone's (a results
        // reader, a timer, the user's thread cancelling): keep that thread's own context.
        Activity? current = Activity.Current;
        try
        {
            activity.Dispose();
        }
#pragma warning disable CA1031 // Stopping notifies the user's ActivityListener: whatever it throws must not leave a job or map unfinished.
        catch (System.Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Activity.Current = current;
        }
    }

    /// <summary>The W3C trace context to hand to a worker: the job's span, or whatever is current.</summary>
    public static string? TraceParent(Activity? activity) => (activity ?? Activity.Current)?.Id;
}

/// <summary>
/// The worker's side of tracing, apart from the meter: a worker touches nothing of
/// System.Diagnostics unless a job arrives with a trace context (a process starts faster).
/// </summary>
internal static class JobTracing
{
    public static readonly ActivitySource Source = new(ParallelKitDiagnostics.ActivitySourceName, typeof(JobTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the worker-side span of a record, a child of the submitting process's span.</summary>
    public static Activity? StartRun(string? traceParent, string jobName)
    {
        if (string.IsNullOrEmpty(traceParent) || !ActivityContext.TryParse(traceParent, null, out ActivityContext parent))
        {
            return null;
        }

        // Listened to or not, the job sees its trace: Activity.Current carries the submitter's trace id.
        Activity? run = Source.StartActivity("parallelkit.job.run", ActivityKind.Consumer, parent);
        run ??= new Activity("parallelkit.job.run").SetParentId(traceParent).Start();
        run.SetTag("parallelkit.job.name", jobName);
        return run;
    }
}
