using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace ParallelKit.Scheduling;

/// <summary>
/// What the chunks of a map share, whether the map holds all its items (<see cref="MapOperation{TItem, TResult}"/>)
/// or reads them as it goes (<see cref="StreamingMap{TItem, TResult}"/>): the job selector, the cancellation, the
/// chunks running in workers, and where each result goes.
/// </summary>
internal abstract class ChunkedMap<TItem, TResult>
{
    /// <summary>Chunks handed to workers whose results are not in; guarded by itself.</summary>
    private readonly HashSet<MapChunk<TItem, TResult>> _running = [];
    private int _finished;

    protected ChunkedMap(Func<TItem, JobCall<TResult>> selector, Activity? activity, CancellationToken cancellationToken)
    {
        Selector = selector;
        Activity = activity;
        TraceParent = Diagnostics.Telemetry.TraceParent(activity);
        CancellationToken = cancellationToken;
    }

    /// <summary>Makes an item's job call (the user's lambda; runs in this process).</summary>
    public Func<TItem, JobCall<TResult>> Selector { get; }

    /// <summary>The map's span.</summary>
    public Activity? Activity { get; }

    /// <summary>The span's trace parent, sent with each chunk.</summary>
    public string? TraceParent { get; }

    /// <summary>Cancels the map; a chunk whose job ends cancelled counts as cancelled only while this is set.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The node tag the map's jobs need: the first item's call's (one map runs one kind of job).</summary>
    public string? RequiredTag { get; set; }

    /// <summary>Whether the map is over (completed, failed or cancelled): its chunks stop.</summary>
    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>Stores the result of the item at <paramref name="index"/> (by the thread that reads its chunk's results).</summary>
    public abstract void Store(long index, TResult result);

    /// <summary>The results of <paramref name="count"/> items from <paramref name="first"/> on are stored.</summary>
    public abstract void ItemsDone(long first, int count);

    /// <summary>Fails the map (its first failure wins).</summary>
    public abstract void Fail(Exception reason);

    /// <summary>Cancels the map: what is queued is dropped and running chunks see their tokens cancelled.</summary>
    public abstract void Cancel();

    /// <summary>Marks the map over; only the first caller gets <see langword="true"/>.</summary>
    protected bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;

    public void Started(MapChunk<TItem, TResult> chunk)
    {
        lock (_running)
        {
            _running.Add(chunk);
        }
    }

    public void Stopped(MapChunk<TItem, TResult> chunk)
    {
        lock (_running)
        {
            _running.Remove(chunk);
        }
    }

    /// <summary>
    /// Cancels the tokens of chunks already in workers; a worker whose chunk ignores its token is killed after
    /// CancellationGracePeriod, as for a single job (the next job does not wait behind it).
    /// </summary>
    protected void CancelRunningChunks()
    {
        MapChunk<TItem, TResult>[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        foreach (MapChunk<TItem, TResult> chunk in running)
        {
            chunk.Worker?.RequestCancel(chunk.Sequence);
        }
    }
}
