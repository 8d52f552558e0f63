using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.Internal;

namespace ParallelKit.Scheduling;

/// <summary>
/// An ordered parallel map: items are handed out in chunks that shrink as the map nears its end
/// (guided scheduling: big chunks amortise messages, small final chunks balance the load).
/// </summary>
internal sealed class MapOperation<TItem, TResult> : IWorkSource
{
    private readonly TItem[] _items;
    private readonly Func<TItem, JobCall<TResult>> _selector;
    private readonly TResult[] _results;
    private readonly IProgress<MapProgress>? _progress;
    private readonly CancellationToken _cancellationToken;
    private readonly int _maxChunk;
    private readonly TaskCompletionSource<TResult[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;

    /// <summary>Chunks handed to workers whose results are not in; guarded by itself.</summary>
    private readonly System.Collections.Generic.HashSet<MapChunk> _running = [];
    private int _next;
    private int _completed;
    private int _finished;

    private readonly Activity? _activity;
    private readonly string? _traceParent;

    public MapOperation(TItem[] items, Func<TItem, JobCall<TResult>> selector, IProgress<MapProgress>? progress, int maxChunk, Activity? activity, CancellationToken cancellationToken)
    {
        _activity = activity;
        _traceParent = Diagnostics.Telemetry.TraceParent(activity);
        _items = items;
        _selector = selector;
        _results = new TResult[items.Length];
        _progress = progress;
        _maxChunk = maxChunk;
        _cancellationToken = cancellationToken;
        if (items.Length == 0)
        {
            Finish(JobStatus.Completed);
        }
    }

    public Task<TResult[]> Completion => _completion.Task;

    public bool IsSingleJob => false;

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    public void RegisterCancellation()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.UnsafeRegister(
                static state => ((MapOperation<TItem, TResult>)state!).Cancel(), this);
            if (IsFinished)
            {
                // Finished before the registration existed: nothing else would release it.
                _registration.Dispose();
            }
        }
    }

    public WorkItem? TakeNext(int workers, out bool exhausted)
    {
        int remaining = _items.Length - _next;
        if (IsFinished || remaining <= 0)
        {
            exhausted = true;
            return null;
        }

        int size = Math.Clamp((remaining + (2 * workers) - 1) / (2 * workers), 1, _maxChunk);
        var chunk = new MapChunk(this, _next, size);
        _next += size;
        exhausted = _next >= _items.Length;
        return chunk;
    }

    public void Abandon(Exception reason) => Fail(reason);

    private void Fail(Exception reason)
    {
        if (Finish(JobStatus.Failed, reason))
        {
            _registration.Dispose();
        }
    }

    private void Cancel()
    {
        if (Finish(JobStatus.Canceled))
        {
            _registration.Dispose();
        }

        // Chunks already in workers: their jobs' tokens are cancelled there, and a worker whose chunk ignores its
        // token is killed after CancellationGracePeriod, as for a single job (the next job does not wait behind it).
        MapChunk[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        foreach (MapChunk chunk in running)
        {
            Volatile.Read(ref chunk.Worker)?.RequestCancel(Volatile.Read(ref chunk.Sequence));
        }
    }

    private void Started(MapChunk chunk)
    {
        lock (_running)
        {
            _running.Add(chunk);
        }
    }

    private void Stopped(MapChunk chunk)
    {
        lock (_running)
        {
            _running.Remove(chunk);
        }
    }

    /// <summary>
    /// Moves the map to its final state; only the first caller wins. The span ends before the
    /// caller's await resumes, so whoever awaited the map sees it finished.
    /// </summary>
    private bool Finish(JobStatus status, Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }

        Diagnostics.Telemetry.Finish(_activity, status);
        return status switch
        {
            JobStatus.Completed => _completion.TrySetResult(_results),
            JobStatus.Canceled => _completion.TrySetCanceled(_cancellationToken),
            _ => _completion.TrySetException(reason!),
        };
    }

    private void ChunkDone(int count)
    {
        int done = Interlocked.Add(ref _completed, count);
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

        if (done == _items.Length && Finish(JobStatus.Completed))
        {
            _registration.Dispose();
        }
    }

    /// <summary>A contiguous run of the map's items, sent to one worker as one record.</summary>
    private sealed class MapChunk(MapOperation<TItem, TResult> map, int start, int count) : WorkItem
    {
        private ulong _costKey;
        private bool _retryable = true;

        public override string Name => $"map items {start}..{start + count - 1}";

        public override ulong CostKey => _costKey;

        public override int Count => count;

        public override bool IsFinished => map.IsFinished;

        public override bool CancellationRequested => map._cancellationToken.IsCancellationRequested;

        public override bool IsRetryable => _retryable;

        public override bool TryStart(WorkerSlot worker)
        {
            if (map.IsFinished)
            {
                return false;
            }

            Attempts++;
            map.Started(this);
            return true;
        }

        public override void WritePayload(FrameBuffer frame)
        {
            var buffer = frame;
            using var state = MemoryPackWriterOptionalStatePool.Rent(null);
            var writer = new JobWriter(ref buffer, state);
            writer.Write(count);
            writer.Write(start);
            writer.Write(map._traceParent);
            for (int i = start; i < start + count; i++)
            {
                JobCall<TResult> call = map._selector(map._items[i]) ?? throw new InvalidOperationException(
                    $"The map's job selector returned null for item {i}.");
                if (_costKey == 0)
                {
                    _costKey = call.JobKey;
                }

                writer.Write(call.JobKey);
                call.WriteArguments(ref writer);
                _retryable &= call.IsRetryable;
            }

            writer.Flush();
        }

        public override void Complete(ReadOnlySpan<byte> results)
        {
            map.Stopped(this);
            if (map.IsFinished)
            {
                return;
            }

            var reader = new JobReader(results);
            try
            {
                for (int i = start; i < start + count; i++)
                {
                    map._results[i] = reader.Read<TResult>();
                }
            }
            catch (Exception ex)
            {
                map.Fail(new InvalidOperationException($"The results of map items {start}..{start + count - 1} could not be read: {ex.Message}", ex));
                return;
            }
            finally
            {
                reader.Dispose();
            }

            map.ChunkDone(count);
        }

        public override void Canceled()
        {
            map.Stopped(this);
            map.Cancel();
        }

        public override void Fail(Exception exception)
        {
            map.Stopped(this);
            map.Fail(exception);
        }

        public override async ValueTask RunInProcessAsync(WorkerSlot worker, TimeSpan? timeout, CancellationToken stopping)
        {
            long started = Stopwatch.GetTimestamp();
            Activity.Current = map._activity ?? Activity.Current;
            int i = start;
            try
            {
                for (; i < start + count && !map.IsFinished; i++)
                {
                    JobCall<TResult> call = map._selector(map._items[i]) ?? throw new InvalidOperationException(
                        $"The map's job selector returned null for item {i}.");
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(map._cancellationToken, stopping);
                    if (timeout is { } limit)
                    {
                        linked.CancelAfter(limit);
                        map._results[i] = await call.InvokeAsync(linked.Token).AsTask().WaitAsync(limit, CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        map._results[i] = await call.InvokeAsync(linked.Token).ConfigureAwait(false);
                    }
                }

                worker.RecordCompleted(count, Stopwatch.GetElapsedTime(started).Ticks);
            }
            catch (Exception ex)
            {
                EndInProcess(worker, 1, Stopwatch.GetElapsedTime(started).Ticks, ex, i < start + count ? SafeName(i) : "map", timeout, stopping);
                return;
            }

            map.ChunkDone(count);
        }

        private string SafeName(int index)
        {
            try
            {
                return $"{map._selector(map._items[index]).JobName} (map item {index})";
            }
            catch (Exception)
            {
                return $"map item {index}";
            }
        }
    }
}
