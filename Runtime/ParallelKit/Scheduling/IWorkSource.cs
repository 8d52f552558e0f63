namespace ParallelKit.Scheduling;

/// <summary>Something queued on a job server that yields work items: a submitted job, or a map.</summary>
internal interface IWorkSource
{
    /// <summary>Takes the next item, or <see langword="null"/> when there is none left.</summary>
    /// <param name="workers">The server's worker count, for chunk sizing.</param>
    /// <param name="exhausted">Set when the source has nothing more after this item.</param>
    WorkItem? TakeNext(int workers, out bool exhausted);

    /// <summary>Fails everything the source has not handed out yet.</summary>
    void Abandon(System.Exception reason);

    /// <summary>Whether <see cref="TakeNext"/> yields single, separately completed jobs that can share a batch.</summary>
    bool IsSingleJob { get; }

    /// <summary>
    /// Whether every item the source yields goes to the same worker in one message (a cluster node relays
    /// a driver's batch this way: the driver already sized it for one worker).
    /// </summary>
    bool KeepsItemsTogether => false;

    /// <summary>The node tag a worker must offer to take this source's items (<see cref="JobCall.RequiredTag"/>), or <see langword="null"/>.</summary>
    string? RequiredTag => null;
}
