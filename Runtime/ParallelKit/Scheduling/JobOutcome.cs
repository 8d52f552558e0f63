namespace ParallelKit.Scheduling;

/// <summary>
/// How a job (or a chunk of map items) ended, as its submitter saw it: what the meter, <see cref="JobServerStats"/>
/// and the log count, each once.
/// </summary>
internal enum JobOutcome
{
    /// <summary>It returned.</summary>
    Completed,

    /// <summary>It threw, or could not run (the server was disposed, a message was too large).</summary>
    Failed,

    /// <summary>It ran longer than its time limit; its worker was killed.</summary>
    TimedOut,

    /// <summary>Its worker died under it and it was not retried.</summary>
    Crashed,

    /// <summary>Its submitter cancelled it while it ran.</summary>
    Canceled,
}
