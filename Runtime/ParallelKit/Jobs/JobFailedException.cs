using System;
using System.Text;

namespace ParallelKit;

/// <summary>
/// A job threw, or its worker could not run it. Carries the remote exception's type, message and stack
/// trace, since the exception object itself lives (and dies) in the worker process.
/// </summary>
public sealed class JobFailedException : Exception
{
    /// <summary>
    /// The <see cref="RemoteType"/> of a job whose worker process died while running it (after every attempt
    /// <see cref="JobServerOptions.MaxAttempts"/> allows); the message gives the exit code or signal.
    /// </summary>
    public const string WorkerCrashed = "ParallelKit.WorkerCrashedException";

    /// <summary>
    /// The <see cref="RemoteType"/> of a job whose marshaled arguments or result exceed
    /// <see cref="JobServerOptions.MaxMessageSize"/>; the job did not run, or its result was dropped.
    /// </summary>
    public const string MessageTooLarge = "ParallelKit.MessageTooLargeException";

    /// <summary>
    /// The <see cref="RemoteType"/> of a job that needs a node tag (<see cref="ParallelJobAttribute.Requires"/>,
    /// <see cref="JobCall.Requiring(string)"/>) that no node of the cluster advertises.
    /// </summary>
    public const string NoMatchingNode = "ParallelKit.NoMatchingNodeException";

    /// <summary>Creates the exception for a job that failed.</summary>
    /// <param name="jobName">The job's display name.</param>
    /// <param name="workerId">The worker that ran the job, or -1.</param>
    /// <param name="remoteType">The full name of the exception type thrown in the worker.</param>
    /// <param name="remoteMessage">The message of the exception thrown in the worker.</param>
    /// <param name="remoteStackTrace">The stack trace in the worker, if any.</param>
    /// <param name="innerException">The exception itself, when the job ran in this process.</param>
    public JobFailedException(string jobName, int workerId, string remoteType, string remoteMessage, string? remoteStackTrace, Exception? innerException = null)
        : base(FormatMessage(jobName, workerId, remoteType, remoteMessage), innerException)
    {
        JobName = jobName;
        WorkerId = workerId;
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The job's display name.</summary>
    public string JobName { get; }

    /// <summary>The worker that ran the job; -1 when it never reached one.</summary>
    public int WorkerId { get; }

    /// <summary>The full name of the exception type thrown in the worker, e.g. <c>System.InvalidOperationException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>The message of the exception thrown in the worker.</summary>
    public string RemoteMessage { get; }

    /// <summary>The stack trace in the worker, when one was captured.</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder(base.ToString());
        if (!string.IsNullOrEmpty(RemoteStackTrace) && InnerException is null)
        {
            text.AppendLine().Append("--- remote stack trace (worker ").Append(WorkerId).AppendLine(") ---").Append(RemoteStackTrace);
        }

        return text.ToString();
    }

    private static string FormatMessage(string jobName, int workerId, string remoteType, string remoteMessage)
        => workerId >= 0
            ? $"Job '{jobName}' failed on worker {workerId}: {remoteType}: {remoteMessage}"
            : $"Job '{jobName}' failed: {remoteType}: {remoteMessage}";
}
