using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.Internal;

namespace ParallelKit.Scheduling;

/// <summary>
/// A contiguous run of a map's items, sent to one worker as one record. Its results may come back in
/// parts (<see cref="Ipc.RecordStatus.Partial"/>): what a worker delivered before dying is kept, and only the
/// items after it run again, split into smaller chunks (<see cref="SplitForRetry"/>).
/// </summary>
/// <remarks>
/// The chunk reads its items from <paramref name="items"/> at positions [<paramref name="from"/>, <paramref name="end"/>);
/// <paramref name="baseIndex"/> is the map index of <c>items[0]</c> (0 for a map that holds all its items, the
/// chunk's first index for a streaming map, whose chunks each own their items).
/// </remarks>
internal sealed class MapChunk<TItem, TResult>(ChunkedMap<TItem, TResult> map, TItem[] items, long baseIndex, int from, int end) : WorkItem
{
    private ulong _costKey;
    private bool _retryable = true;

    // Items [_from, _end) are this chunk's and not yet delivered; _fromAtStart is _from when the current
    // attempt began. Written by the one thread that reads the running worker's results (or, before the
    // chunk is sent, the thread that sends it).
    private int _from = from;
    private int _end = end;
    private int _fromAtStart = from;
    private MapChunk<TItem, TResult>? _leftover;

    public override string Name => _end - _from == 1 ? $"map item {baseIndex + _from}" : $"map items {baseIndex + _from}..{baseIndex + _end - 1}";

    public override ulong CostKey => _costKey;

    public override int Count => _end - _from;

    public override bool IsFinished => map.IsFinished;

    public override bool CancellationRequested => map.CancellationToken.IsCancellationRequested;

    public override bool IsRetryable => _retryable;

    public override string? RequiredTag => map.RequiredTag;

    public override bool MadeProgress => _from > _fromAtStart;

    protected override bool TryStart(WorkerSlot worker)
    {
        if (map.IsFinished)
        {
            return false;
        }

        _fromAtStart = _from;
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
            // The count is patched below if the chunk shrinks to fit. The first map index names the items in errors; a
            // streaming map past int.MaxValue names them approximately.
            Ipc.JobPayload.WriteHeader(ref writer, _end - _from, (int)Math.Min(baseIndex + _from, int.MaxValue), map.TraceParent);

            // The writer writes past frame.WrittenCount until it is flushed: what it wrote ends at payloadAt + writer.WrittenCount.
            for (int i = _from; i < _end; i++)
            {
                int itemAt = payloadAt + writer.WrittenCount;
                JobCall<TResult> call = Call(i);
                if (_costKey == 0)
                {
                    _costKey = call.JobKey;
                }

                writer.Write(call.JobKey);
                call.WriteArguments(ref writer);
                _retryable &= call.IsRetryable;
                if (writer.WrittenCount <= limit)
                {
                    continue;
                }

                // Over the message size limit: the items before this one go now, this one and the rest in
                // chunks of their own. An item too large by itself goes alone, and fails naming itself.
                writer.Flush();
                int keep = i == _from ? i + 1 : i;
                if (keep == i)
                {
                    frame.Truncate(itemAt);
                }

                if (keep < _end)
                {
                    _leftover = new MapChunk<TItem, TResult>(map, items, baseIndex, keep, _end);
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

    private JobCall<TResult> Call(int i)
        => map.Selector(items[i]) ?? throw new InvalidOperationException($"The map's job selector returned null for item {baseIndex + i}.");

    public override WorkItem? TakeLeftover()
    {
        MapChunk<TItem, TResult>? leftover = _leftover;
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

        // MadeProgress: the death was not charged at all (see Dispatcher.BatchLease.Lost); else only the head is.
        int restAttempts = MadeProgress ? Attempts : Math.Max(0, Attempts - 1);
        var split = new List<WorkItem>(pieces + 1) { new MapChunk<TItem, TResult>(map, items, baseIndex, _from, _from + 1) { Attempts = Attempts } };
        int rest = remaining - 1;
        pieces = Math.Clamp(pieces, 1, rest);
        for (int p = 0; p < pieces; p++)
        {
            int first = _from + 1 + (int)((long)rest * p / pieces);
            int last = _from + 1 + (int)((long)rest * (p + 1) / pieces);
            split.Add(new MapChunk<TItem, TResult>(map, items, baseIndex, first, last) { Attempts = restAttempts });
        }

        return split;
    }

    public override int CompletePart(ReadOnlySpan<byte> part)
    {
        if (!Ipc.MapChunkResults.TryRead(part, out int n, out ReadOnlySpan<byte> results) || n < 0 || n > _end - _from)
        {
            return -1;
        }

        Deliver(results, n);
        return n;
    }

    public override void Complete(ReadOnlySpan<byte> results)
    {
        map.Stopped(this);
        int n = Ipc.MapChunkResults.TryRead(results, out int count, out ReadOnlySpan<byte> values) ? count : -1;
        if (n != _end - _from)
        {
            map.Fail(new InvalidOperationException($"The results of {Name} did not come back whole ({n} results for {_end - _from} items)."));
            return;
        }

        Deliver(values, n);
    }

    /// <summary>Stores the next <paramref name="n"/> results and tells the map; nothing when the map is over or they cannot be read (the map then fails).</summary>
    private void Deliver(ReadOnlySpan<byte> results, int n)
    {
        if (map.IsFinished)
        {
            return;
        }

        var reader = new JobReader(results);
        try
        {
            for (int i = _from; i < _from + n; i++)
            {
                map.Store(baseIndex + i, reader.Read<TResult>());
            }
        }
        catch (Exception ex)
        {
            map.Fail(new InvalidOperationException($"The results of map items {baseIndex + _from}..{baseIndex + _from + n - 1} could not be read: {ex.Message}", ex));
            return;
        }
        finally
        {
            reader.Dispose();
        }

        long first = baseIndex + _from;
        _from += n;
        map.ItemsDone(first, n);
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

    /// <remarks>Each result is delivered as it comes, so progress and streaming maps see items, not chunks.</remarks>
    public override async ValueTask RunInProcessAsync(WorkerSlot worker, TimeSpan? timeout, CancellationToken stopping)
    {
        long started = Stopwatch.GetTimestamp();
        Activity.Current = map.Activity ?? Activity.Current;
        int start = _from;
        int count = _end - _from;
        int i = start;
        // One token for the chunk's items when they have no timeout; an item with a timeout gets a token of its own,
        // which its timer cancels (it must not carry over to the next item).
        using var shared = CancellationTokenSource.CreateLinkedTokenSource(map.CancellationToken, stopping);
        try
        {
            for (; i < start + count && !map.IsFinished; i++)
            {
                JobCall<TResult> call = Call(i);
                TResult result;
                if (timeout is { } limit)
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(map.CancellationToken, stopping);
                    linked.CancelAfter(limit);
                    result = await call.InvokeAsync(linked.Token).AsTask().WaitAsync(limit, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    result = await call.InvokeAsync(shared.Token).ConfigureAwait(false);
                }

                if (i == start + count - 1)
                {
                    // Counted before the last result is delivered, so whoever sees the map end sees the chunk in the stats.
                    worker.RecordCompleted(count, Stopwatch.GetElapsedTime(started).Ticks);
                }

                if (!map.IsFinished)
                {
                    map.Store(baseIndex + i, result);
                    _from = i + 1;
                    map.ItemsDone(baseIndex + i, 1);
                }
            }

            if (i < start + count)
            {
                // The map ended (failed or cancelled elsewhere) before this chunk did: what ran counts, the rest never will.
                worker.RecordCompleted(i - start, Stopwatch.GetElapsedTime(started).Ticks);
            }
        }
        catch (Exception ex)
        {
            EndInProcess(worker, 1, Stopwatch.GetElapsedTime(started).Ticks, ex, i < start + count ? SafeName(i) : "map", timeout, stopping);
        }
    }

    private string SafeName(int index)
    {
        try
        {
            return $"{map.Selector(items[index]).JobName} (map item {baseIndex + index})";
        }
        catch (Exception)
        {
            return $"map item {baseIndex + index}";
        }
    }
}
