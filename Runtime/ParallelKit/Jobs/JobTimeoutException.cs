using System;

namespace ParallelKit;

/// <summary>
/// A job ran longer than <see cref="JobServerOptions.JobTimeout"/>. With the processes backend its
/// worker was killed and replaced; with the threads backend its cancellation token was cancelled and the
/// job abandoned (a thread cannot be killed).
/// </summary>
public sealed class JobTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobName">The job's display name.</param>
    /// <param name="workerId">The worker that ran the job.</param>
    /// <param name="timeout">The limit the job exceeded.</param>
    public JobTimeoutException(string jobName, int workerId, TimeSpan timeout)
        : base($"Job '{jobName}' ran longer than its timeout of {timeout} on worker {workerId}.")
    {
        JobName = jobName;
        WorkerId = workerId;
        Timeout = timeout;
    }

    /// <summary>The job's display name.</summary>
    public string JobName { get; }

    /// <summary>The worker that ran the job.</summary>
    public int WorkerId { get; }

    /// <summary>The limit the job exceeded.</summary>
    public TimeSpan Timeout { get; }
}
