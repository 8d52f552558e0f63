namespace ParallelKit;

/// <summary>Where a <see cref="Job"/> is in its life.</summary>
public enum JobStatus
{
    /// <summary>Submitted, waiting for an idle worker.</summary>
    Queued,

    /// <summary>Handed to a worker, which runs it (or is about to).</summary>
    Running,

    /// <summary>Finished and its result is available.</summary>
    Completed,

    /// <summary>The job threw, or could not run; awaiting it throws <see cref="JobFailedException"/> (or the reason it could not run).</summary>
    Failed,

    /// <summary>Cancelled through the token given to <see cref="JobServer.Submit(JobCall, System.Threading.CancellationToken)"/>.</summary>
    Canceled,
}
