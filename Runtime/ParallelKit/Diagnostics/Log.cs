using Microsoft.Extensions.Logging;

namespace ParallelKit.Diagnostics;

/// <summary>What a job server tells <see cref="JobServerOptions.Logger"/>: worker comings and goings, and jobs stopped by force.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Worker {WorkerId} started (pid {ProcessId})")]
    public static partial void WorkerStarted(ILogger logger, int workerId, int processId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Worker {WorkerId} (pid {ProcessId}) connected")]
    public static partial void WorkerConnected(ILogger logger, int workerId, int processId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Worker {WorkerId} (pid {ProcessId}) exited unexpectedly with {Exit}; {Retried} job(s) retried, {Failed} failed")]
    public static partial void WorkerDied(ILogger logger, int workerId, int processId, string exit, int retried, int failed);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Worker {WorkerId} (pid {ProcessId}) could not start: it {Reason}")]
    public static partial void WorkerStartFailed(ILogger logger, int workerId, int processId, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "No worker could start; the server fails its work: {Reason}")]
    public static partial void GaveUp(ILogger logger, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Job {JobName} ran longer than {Timeout}; killing worker {WorkerId} (pid {ProcessId})")]
    public static partial void JobTimedOut(ILogger logger, string jobName, System.TimeSpan timeout, int workerId, int processId);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Cancelled job {JobName} ignored its token for {GracePeriod}; killing worker {WorkerId} (pid {ProcessId})")]
    public static partial void CancellationIgnored(ILogger logger, string jobName, System.TimeSpan gracePeriod, int workerId, int processId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Worker count set to {Workers}")]
    public static partial void Resized(ILogger logger, int workers);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Worker {WorkerId} started after failed starts; the server serves again")]
    public static partial void ServingAgain(ILogger logger, int workerId);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Worker {WorkerId} (pid {ProcessId}) is killed: {Reason}; its jobs are handled as a crash's")]
    public static partial void WorkerHung(ILogger logger, int workerId, int processId, string reason);
}
