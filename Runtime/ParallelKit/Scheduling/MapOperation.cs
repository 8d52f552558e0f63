using System;
using System.Collections.Generic;
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

    /// <summary>The node tag the map's jobs need: the first item's call's (one map runs one kind of job).</summary>
    public string? RequiredTag { get; init; }

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
        var chunk = new MapChunk(this, _next, _next + size);
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

    /// <summary>
    /// A contiguous run of the map's items, sent to one worker as one record. Its results may come back in
    /// parts (<see cref="Ipc.RecordStatus.Partial"/>): what a worker delivered before dying is kept, and only the
    /// items after it run again, split into smaller chunks (<see cref="SplitForRetry"/>).
    /// </summary>
    private sealed class MapChunk(MapOperation<TItem, TResult> map, int from, int end) : WorkItem
    {
        private ulong _costKey;
        private bool _retryable = true;

        // Items [_from, _end) are this chunk's and not yet delivered; _fromAtStart is _from when the current
        // attempt began. Written by the one thread that reads the running worker's results (or, before the
        // chunk is sent, the thread that sends it).
        private int _from = from;
        private int _end = end;
        private int _fromAtStart = from;
        private MapChunk? _leftover;

        public override string Name => _end - _from == 1 ? $"map item {_from}" : $"map items {_from}..{_end - 1}";

        public override ulong CostKey => _costKey;

        public override int Count => _end - _from;

        public override bool IsFinished => map.IsFinished;

        public override bool CancellationRequested => map._cancellationToken.IsCancellationRequested;

        public override bool IsRetryable => _retryable;

        public override string? RequiredTag => map.RequiredTag;

        public override bool MadeProgress => _from > _fromAtStart;

        public override bool TryStart(WorkerSlot worker)
        {
            if (map.IsFinished)
            {
                return false;
            }

            _fromAtStart = _from;
            Attempts++;
            map.Started(this);
            return true;
        }

        public override void WritePayload(FrameBuffer frame) => WritePayload(frame, int.MaxValue);

        public override void WritePayload(FrameBuffer frame, int limit)
        {
            int payloadAt = frame.WrittenCount;
            var buffer = frame;
            var state = MemoryPackWriterOptionalStatePool.Rent(null);
            try
            {
                var writer = new JobWriter(ref buffer, state);
                Ipc.JobPayload.WriteHeader(ref writer, _end - _from, _from, map._traceParent); // the count is patched below if the chunk shrinks to fit
                for (int i = _from; i < _end; i++)
                {
                    writer.Flush();
                    int itemAt = frame.WrittenCount;
                    JobCall<TResult> call = map._selector(map._items[i]) ?? throw new InvalidOperationException(
                        $"The map's job selector returned null for item {i}.");
                    if (_costKey == 0)
                    {
                        _costKey = call.JobKey;
                    }

                    writer.Write(call.JobKey);
                    call.WriteArguments(ref writer);
                    _retryable &= call.IsRetryable;
                    writer.Flush();
                    if (frame.WrittenCount - payloadAt <= limit)
                    {
                        writer = new JobWriter(ref buffer, state);
                        continue;
                    }

                    // Over the message size limit: the items before this one go now, this one and the rest in
                    // chunks of their own. An item too large by itself goes alone, and fails naming itself.
                    int keep = i == _from ? i + 1 : i;
                    if (keep == i)
                    {
                        frame.Truncate(itemAt);
                    }

                    if (keep < _end)
                    {
                        _leftover = new MapChunk(map, keep, _end);
                    }

                    _end = keep;
                    frame.PatchInt32(payloadAt + Ipc.JobPayload.JobsAt, _end - _from);
                    return;
                }

                writer.Flush();
            }
            finally
            {
                ((IDisposable)state).Dispose();
            }
        }

        public override WorkItem? TakeLeftover()
        {
            MapChunk? leftover = _leftover;
            _leftover = null;
            return leftover;
        }

        /// <remarks>
        /// The first undelivered item goes alone, with the chunk's attempts: it ran (or was running) when the
        /// worker died, so it is the one a job that kills its worker would be. The items after it, split across
        /// the workers, are not charged for this death (they had not run, or ran and were not yet reported) —
        /// so no item is charged more than once per death, and random deaths cannot exhaust a whole chunk.
        /// </remarks>
        public override IReadOnlyList<WorkItem> SplitForRetry(int pieces)
        {
            int remaining = _end - _from;
            if (remaining <= 1)
            {
                return [this];
            }

            // MadeProgress: the death was not charged at all (see ProcessBackend.WorkerDied); else only the head is.
            int restAttempts = MadeProgress ? Attempts : Math.Max(0, Attempts - 1);
            var split = new List<WorkItem>(pieces + 1) { new MapChunk(map, _from, _from + 1) { Attempts = Attempts } };
            int rest = remaining - 1;
            pieces = Math.Clamp(pieces, 1, rest);
            for (int p = 0; p < pieces; p++)
            {
                int first = _from + 1 + (int)((long)rest * p / pieces);
                int last = _from + 1 + (int)((long)rest * (p + 1) / pieces);
                split.Add(new MapChunk(map, first, last) { Attempts = restAttempts });
            }

            return split;
        }

        public override int CompletePart(ReadOnlySpan<byte> part)
        {
            if (part.Length < 4)
            {
                return -1;
            }

            int n = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(part);
            if (n < 0 || n > _end - _from)
            {
                return -1;
            }

            if (ReadResults(part[4..], n))
            {
                _from += n;
                map.ChunkDone(n);
            }

            return n;
        }

        public override void Complete(ReadOnlySpan<byte> results)
        {
            map.Stopped(this);
            int n = results.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(results) : -1;
            if (n != _end - _from)
            {
                map.Fail(new InvalidOperationException($"The results of {Name} did not come back whole ({n} results for {_end - _from} items)."));
                return;
            }

            if (ReadResults(results[4..], n))
            {
                _from += n;
                map.ChunkDone(n);
            }
        }

        /// <summary>Stores the next <paramref name="n"/> results; false when the map is over or they cannot be read (the map then fails).</summary>
        private bool ReadResults(ReadOnlySpan<byte> results, int n)
        {
            if (map.IsFinished)
            {
                return false;
            }

            var reader = new JobReader(results);
            try
            {
                for (int i = _from; i < _from + n; i++)
                {
                    map._results[i] = reader.Read<TResult>();
                }

                return true;
            }
            catch (Exception ex)
            {
                map.Fail(new InvalidOperationException($"The results of map items {_from}..{_from + n - 1} could not be read: {ex.Message}", ex));
                return false;
            }
            finally
            {
                reader.Dispose();
            }
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
            int start = _from;
            int count = _end - _from;
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
