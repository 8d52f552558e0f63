namespace ParallelKit.Workers;

/// <summary>
/// Where a worker process stands, as its <see cref="WorkerConnection"/> in the parent sees it. It only moves forward:
/// <see cref="Starting"/> to <see cref="Alive"/> to <see cref="ShuttingDown"/> to <see cref="Dead"/>, any step of which
/// may be skipped.
/// </summary>
internal enum WorkerLifecycle
{
    /// <summary>Launched, and not yet connected on both channels (set at construction).</summary>
    Starting,

    /// <summary>Connected and taking work (set by <see cref="WorkerConnection.Attach"/> once both channels are in).</summary>
    Alive,

    /// <summary>Asked to stop after its batch (set by <see cref="WorkerConnection.RequestShutdown"/>); it takes no more work.</summary>
    ShuttingDown,

    /// <summary>
    /// Gone or going: its channels closed, it failed to start, or it was killed (set by the results reader on
    /// disconnection, by <see cref="WorkerConnection.Kill"/> and <see cref="WorkerConnection.StartFailed"/>, and by a
    /// shutdown request while still starting).
    /// </summary>
    Dead,
}
