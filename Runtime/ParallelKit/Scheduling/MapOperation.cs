using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Scheduling;

/// <summary>
/// An ordered parallel map over items it holds: items are handed out in chunks that start small, so the first
/// results (and progress reports) come early, grow while the map is young, and shrink as it nears its end
/// (guided scheduling: big chunks amortise messages, small final chunks balance the load).
/// </summary>
internal sealed class MapOperation<TItem, TResult> : ChunkedMap<TItem, TResult>, IWorkSource
{
    private readonly TItem[] _items;
    private readonly TResult[] _results;
    private readonly IProgress<MapProgress>? _progress;
    private readonly int _maxChunk;
    private readonly TaskCompletionSource<TResult[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _progressGate = new();
    private CancellationTokenRegistration _registration;

    private int _next;
    private int _ramp = 1;
    private int _completed;

    public MapOperation(TItem[] items, Func<TItem, JobCall<TResult>> selector, IProgress<MapProgress>? progress, int maxChunk, Activity? activity, CancellationToken cancellationToken)
        : base(selector, activity, cancellationToken)
    {
        _items = items;
        _results = new TResult[items.Length];
        _progress = progress;
        _maxChunk = maxChunk;
        if (items.Length == 0)
        {
            Finish(JobStatus.Completed);
        }
    }

    public Task<TResult[]> Completion => _completion.Task;

    public bool IsSingleJob => false;

    public void RegisterCancellation()
    {
        if (CancellationToken.CanBeCanceled)
        {
            _registration = CancellationToken.UnsafeRegister(
                static state => ((MapOperation<TItem, TResult>)state!).Cancel(), this);
            if (IsFinished)
            {
                // Finished before the registration existed: nothing else would release it.
                _registration.Dispose();
            }
        }
    }

    /// <remarks>
    /// Guided size (a share of what is left per worker), but never more than twice the previous chunk, from 1:
    /// the first chunks are tiny, so every worker delivers within its first item or two and a progress bar moves
    /// at once; a few doublings later chunks are at their guided size, so the extra messages are a handful.
    /// </remarks>
    public WorkItem? TakeNext(int workers, out bool exhausted)
    {
        int remaining = _items.Length - _next;
        if (IsFinished || remaining <= 0)
        {
            exhausted = true;
            return null;
        }

        int size = Math.Clamp((remaining + (2 * workers) - 1) / (2 * workers), 1, Math.Min(_maxChunk, _ramp));
        _ramp = (int)Math.Min((long)_ramp * 2, int.MaxValue);
        var chunk = new MapChunk<TItem, TResult>(this, _items, 0, _next, _next + size);
        _next += size;
        exhausted = _next >= _items.Length;
        return chunk;
    }

    public void Abandon(Exception reason) => Fail(reason);

    public override void Fail(Exception reason)
    {
        if (Finish(JobStatus.Failed, reason))
        {
            _registration.Dispose();
        }
    }

    public override void Cancel()
    {
        if (Finish(JobStatus.Canceled))
        {
            _registration.Dispose();
        }

        CancelRunningChunks();
    }

    public override void Store(long index, TResult result) => _results[index] = result;

    /// <remarks>
    /// Reports under a lock, so the counts a progress handler sees only grow, whichever worker's results come in
    /// first; one report per delivery: per item on threads, per part (an item, or what a worker finished within a
    /// millisecond) from worker processes.
    /// </remarks>
    public override void ItemsDone(long first, int count)
    {
        int done;
        lock (_progressGate)
        {
            done = _completed += count;
            try
            {
                _progress?.Report(new MapProgress(done, _items.Length));
            }
            catch (Exception ex)
            {
                // The user's progress handler threw: that fails the map, not the thread that completes jobs.
                Fail(ex);
                return;
            }
        }

        if (done == _items.Length && Finish(JobStatus.Completed))
        {
            _registration.Dispose();
        }
    }

    /// <summary>
    /// Moves the map to its final state; only the first caller wins. The span ends before the
    /// caller's await resumes, so whoever awaited the map sees it finished.
    /// </summary>
    private bool Finish(JobStatus status, Exception? reason = null)
    {
        if (!TryFinish())
        {
            return false;
        }

        Diagnostics.Telemetry.Finish(Activity, status);
        return status switch
        {
            JobStatus.Completed => _completion.TrySetResult(_results),
            JobStatus.Canceled => _completion.TrySetCanceled(CancellationToken),
            _ => _completion.TrySetException(reason!),
        };
    }
}
