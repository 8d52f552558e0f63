using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;
using ParallelKit.Ipc;
using ParallelKit.Scheduling;

namespace ParallelKit.Cluster.Node;

/// <summary>
/// One record of a driver's batch, as the node's local job server runs it: the worker record goes to a local worker
/// process byte for byte, and whatever becomes of it (results, an error, a time-out, a cancellation) is kept to be
/// sent back. A local worker that dies re-runs the record on another local worker, as for any job.
/// </summary>
internal sealed class RelayedRecord : WorkItem
{
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly bool _retryable;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _firstStart;
    private int _finished;
    private volatile bool _cancelRequested;
    private readonly System.Buffers.ArrayBufferWriter<byte> _parts = new();
    private int _partCount;

    public RelayedRecord(NodeProtocol.BatchRecord record)
    {
        DriverSequence = record.Sequence;
        _payload = record.Payload;
        _retryable = record.IsRetryable;
        Timeout = record.Timeout;
        Count = JobPayload.JobCount(record.Payload.Span);
    }

    /// <summary>The record's sequence number on the driver's slot (the local one is <see cref="WorkItem.Sequence"/>).</summary>
    public long DriverSequence { get; }

    /// <summary>Completes when the record has an outcome.</summary>
    public Task Completion => _done.Task;

    public NodeProtocol.ResultStatus Status { get; private set; }

    /// <summary>The payload to send back (see <see cref="NodeProtocol"/>).</summary>
    public byte[] Result { get; private set; } = [];

    /// <summary>
    /// For a completed record, the local worker's own time for it (what a local server's cost model and stats see);
    /// otherwise, or when that is unknown, the time from the record's first start to its outcome.
    /// </summary>
    public long BusyTicks { get; private set; }

    /// <summary>The batch the record came in (its records run one after another on one local worker).</summary>
    internal RelayedBatch? Batch { get; set; }

    public override string Name => "job relayed from the driver";

    public override ulong CostKey => 0;

    public override int Count { get; }

    public override bool IsRetryable => _retryable;

    public override bool CancellationRequested => _cancelRequested;

    public override bool IsFinished => Volatile.Read(ref _finished) != 0;

    protected override bool TryStart(WorkerSlot worker)
    {
        if (IsFinished)
        {
            return false;
        }

        Interlocked.CompareExchange(ref _firstStart, Stopwatch.GetTimestamp(), 0);
        Batch?.Started(worker);
        return true;
    }

    public override void WritePayload(FrameBuffer frame) => frame.WriteBytes(_payload.Span);

    /// <summary>
    /// A map chunk's results come from the local worker in parts (each a count, then that many results); they are
    /// gathered here and go back to the driver as one answer of the same form (<see cref="Complete"/>).
    /// </summary>
    public override int CompletePart(ReadOnlySpan<byte> part)
    {
        if (!MapChunkResults.TryRead(part, out int count, out ReadOnlySpan<byte> results) || count < 0)
        {
            return -1;
        }

        lock (_parts)
        {
            _partCount += count;
            System.Buffers.BuffersExtensions.Write(_parts, results);
        }

        return count;
    }

    public override void Complete(ReadOnlySpan<byte> results)
    {
        byte[] answer;
        lock (_parts)
        {
            if (_partCount == 0 || !MapChunkResults.TryRead(results, out int last, out ReadOnlySpan<byte> lastResults))
            {
                answer = results.ToArray();
            }
            else
            {
                // count of every part and the final piece, then their results in order
                answer = new byte[MapChunkResults.HeaderSize + _parts.WrittenCount + lastResults.Length];
                MapChunkResults.WriteHeader(answer, _partCount + last);
                _parts.WrittenSpan.CopyTo(answer.AsSpan(MapChunkResults.HeaderSize));
                lastResults.CopyTo(answer.AsSpan(MapChunkResults.HeaderSize + _parts.WrittenCount));
            }
        }

        Finish(NodeProtocol.ResultStatus.Ok, answer, Batch?.RunTicks(Worker) ?? -1);
    }

    public override void Canceled() => Finish(NodeProtocol.ResultStatus.Canceled, []);

    public override void Fail(Exception exception)
    {
        if (exception is JobTimeoutException timeout)
        {
            var ticks = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(ticks, timeout.Timeout.Ticks);
            Finish(NodeProtocol.ResultStatus.TimedOut, ticks);
            return;
        }

        if (exception is ObjectDisposedException)
        {
            // The node's own job server is shutting down: the driver runs the record elsewhere.
            Finish(NodeProtocol.ResultStatus.Lost, []);
            return;
        }

        using var buffer = new FrameBuffer(256);
        if (exception is JobFailedException failed)
        {
            buffer.Write(failed.JobName);
            buffer.Write(failed.RemoteType);
            buffer.Write(failed.RemoteMessage);
            buffer.Write(failed.RemoteStackTrace ?? string.Empty);
        }
        else
        {
            RemoteError.Write(buffer, Name, exception);
        }

        Finish(NodeProtocol.ResultStatus.Failed, buffer.WrittenSpan.ToArray());
    }

    /// <summary>The driver cancelled the record: dropped if still queued, its job's token cancelled if running.</summary>
    public void Cancel()
    {
        _cancelRequested = true;
        if (Worker is { } worker)
        {
            worker.RequestCancel(Sequence);
        }
        else
        {
            Canceled();
        }
    }

    public override ValueTask RunInProcessAsync(WorkerSlot worker, TimeSpan? timeout, CancellationToken stopping)
        => throw new InvalidOperationException("A cluster node runs relayed records on worker processes only.");

    private void Finish(NodeProtocol.ResultStatus status, byte[] result, long runTicks = -1)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        long started = Interlocked.Read(ref _firstStart);
        BusyTicks = runTicks >= 0 ? runTicks : started == 0 ? 0 : Stopwatch.GetElapsedTime(started).Ticks;
        Status = status;
        Result = result;
        _done.TrySetResult();
    }
}

/// <summary>A driver's batch on the node's queue: its records go to one local worker together, as the driver sized them.</summary>
internal sealed class RelayedBatch : IWorkSource
{
    private readonly RelayedRecord[] _records;
    private readonly object _gate = new();
    private int _next;
    private WorkerSlot? _worker;
    private long _lastBusy = -1;

    public RelayedBatch(RelayedRecord[] records)
    {
        _records = records;
        foreach (RelayedRecord record in records)
        {
            record.Batch = this;
        }
    }

    /// <summary>A record of the batch was handed to <paramref name="worker"/> (all of them go to one, together).</summary>
    public void Started(WorkerSlot worker)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_worker, worker))
            {
                _worker = worker;
                _lastBusy = worker.Snapshot().BusyTime.Ticks;
            }
        }
    }

    /// <summary>
    /// The local worker's own time for the record that just completed on <paramref name="worker"/>: how much its busy
    /// time grew since the previous record (the worker reports each record's time just before completing it). The
    /// wall time since the record was handed out would count the records before it in the batch and the trips to
    /// the worker process, and make the driver's cost model take tiny jobs for costly ones (and stop batching them).
    /// </summary>
    /// <returns>The ticks, or -1 when unknown (the record ran on another worker than the batch's first one).</returns>
    public long RunTicks(WorkerSlot? worker)
    {
        if (worker is null)
        {
            return -1;
        }

        lock (_gate)
        {
            if (!ReferenceEquals(_worker, worker) || _lastBusy < 0)
            {
                return -1;
            }

            long busy = worker.Snapshot().BusyTime.Ticks;
            long ticks = busy - _lastBusy;
            _lastBusy = busy;
            return ticks >= 0 ? ticks : -1;
        }
    }

    public bool IsSingleJob => false;

    public bool KeepsItemsTogether => true;

    public WorkItem? TakeNext(int workers, out bool exhausted)
    {
        WorkItem? item = _next < _records.Length ? _records[_next++] : null;
        exhausted = _next >= _records.Length;
        return item;
    }

    public void Abandon(Exception reason)
    {
        for (; _next < _records.Length; _next++)
        {
            _records[_next].Fail(reason);
        }
    }
}
