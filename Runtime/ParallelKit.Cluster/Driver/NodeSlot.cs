using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Orleans.Concurrency;
using ParallelKit.Internal;
using ParallelKit.Scheduling;

namespace ParallelKit.Cluster.Driver;

/// <summary>
/// One of a node's slots (it has one per worker process), as the driver's dispatcher sees it: it takes a batch,
/// sends it to its node's grain in one call, and completes the batch's jobs from the results. A node with free
/// slots is a node with idle workers, so the dispatcher's idle pool is the least-loaded-node choice.
/// </summary>
internal sealed class NodeSlot : WorkerSlot
{
    private readonly ClusterBackend _backend;
    private readonly INodeGrain _grain;
    private readonly object _gate = new();
    private Dispatcher.BatchLease? _inFlight;

    public NodeSlot(int id, ClusterBackend backend, NodeEntry node, INodeGrain grain)
        : base(id, backend.Dispatcher)
    {
        _backend = backend;
        Node = node;
        _grain = grain;
    }

    public NodeEntry Node { get; }

    public override int ProcessId => Node.ProcessId;

    public override bool IsAlive => Node.IsActive;

    public override bool Offers(string tag) => Node.HasTag(tag);

    public override void Run(Dispatcher.BatchLease lease) => _ = RunBatchAsync(lease);

    public override void Retire()
    {
        // A cluster's slots come and go with their nodes; the dispatcher never retires one.
    }

    public override void RequestCancel(long sequence)
    {
        if (IsAlive)
        {
            _ = CancelAsync(sequence);
        }
    }

    /// <summary>Fails what this slot still has in flight (the driver is shutting down and stopped waiting).</summary>
    public void Abandon(Exception reason)
    {
        Dispatcher.BatchLease? inFlight;
        lock (_gate)
        {
            inFlight = _inFlight;
            _inFlight = null;
        }

        inFlight?.Abandon(reason);
    }

    private async Task CancelAsync(long sequence)
    {
        try
        {
            await _grain.CancelAsync(_backend.Self, Id, sequence).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The node is gone or going: its death hands the job on (or fails it) anyway.
        }
    }

    private async Task RunBatchAsync(Dispatcher.BatchLease lease)
    {
        if (!IsAlive)
        {
            // Assigned while the node was leaving: back to the queue untouched, no attempt charged.
            lease.ReturnUnrun(lease.Items, disposed: false);
            return;
        }

        List<(byte[] Message, List<WorkItem> Items)> calls = Encode(lease);
        lock (_gate)
        {
            _inFlight = lease;
        }

        try
        {
            foreach ((byte[] message, List<WorkItem> items) in calls)
            {
                Immutable<byte[]> results = await _grain.RunAsync(_backend.Self, Id, new Immutable<byte[]>(message)).ConfigureAwait(false);
                List<WorkItem>? lost = Apply(results.Value, items, lease);
                if (lost is not null)
                {
                    _backend.ItemsLost(this, lease, lost, "stopped before finishing it");
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever the lease still holds had no answer; what was lost and retried before is its next run's.
            string why = _backend.NodeFailed(Node, ex);
            _backend.ItemsLost(this, lease, lease.Items, why);
        }
        finally
        {
            lock (_gate)
            {
                _inFlight = null;
            }

            lease.Settle();
            if (IsAlive)
            {
                Dispatcher.WorkerReady(this);
            }
        }
    }

    /// <summary>Writes the batch as one or more calls (each under Orleans' message limit); fails items that cannot go.</summary>
    private List<(byte[] Message, List<WorkItem> Items)> Encode(Dispatcher.BatchLease batch)
    {
        var calls = new List<(byte[], List<WorkItem>)>();
        using var frame = new FrameBuffer(16 * 1024);
        var items = new List<WorkItem>();
        frame.Reserve(4);
        foreach (WorkItem item in batch.Items)
        {
            int recordAt = frame.WrittenCount;
            int headerAt = frame.Reserve(NodeProtocol.BatchRecordHeader);
            try
            {
                item.WritePayload(frame);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                frame.Truncate(recordAt);
                RecordFailed(item.Count, 0);
                batch.Fail(item, new JobFailedException(item.Name, Id, ex.GetType().FullName ?? ex.GetType().Name,
                    $"the job's arguments could not be marshaled: {ex.Message}", ex.StackTrace, ex));
                continue;
            }

            int length = frame.WrittenCount - headerAt - NodeProtocol.BatchRecordHeader;
            if (length > _backend.Options.MaxMessageSize)
            {
                frame.Truncate(recordAt);
                RecordFailed(item.Count, 0);
                batch.Fail(item, JobServer.MessageTooLarge(item.Name, "arguments", length, _backend.Options.MaxMessageSize));
                continue;
            }

            if (items.Count > 0 && frame.WrittenCount > NodeProtocol.MaxCallBytes)
            {
                // Over one call's limit: what came before goes in a call of its own, this record starts the next.
                byte[] record = frame.WrittenSpan[recordAt..].ToArray();
                frame.Truncate(recordAt);
                calls.Add((Finish(frame, items.Count), items));
                items = [];
                frame.Clear();
                frame.Reserve(4);
                headerAt = frame.WrittenCount;
                frame.WriteBytes(record);
            }

            NodeProtocol.WriteBatchRecordHeader(frame.GetSpanAt(headerAt), item.Sequence, item.IsRetryable, item.Timeout ?? _backend.Options.JobTimeout, length);
            items.Add(item);
        }

        if (items.Count > 0)
        {
            calls.Add((Finish(frame, items.Count), items));
        }

        return calls;

        static byte[] Finish(FrameBuffer frame, int count)
        {
            frame.PatchInt32(0, count);
            return frame.WrittenSpan.ToArray();
        }
    }

    /// <summary>
    /// Completes the items from a results message, and tells <paramref name="lease"/>; returns those the node lost (it
    /// stopped before finishing them), which are still the lease's.
    /// </summary>
    private List<WorkItem>? Apply(byte[] message, List<WorkItem> items, Dispatcher.BatchLease lease)
    {
        NodeProtocol.ResultRecord[] results = NodeProtocol.ReadResults(message);
        if (results.Length != items.Count)
        {
            throw new FormatException($"Node {Node.Name} answered {results.Length} records for a batch of {items.Count}.");
        }

        List<WorkItem>? lost = null;
        for (int i = 0; i < results.Length; i++)
        {
            NodeProtocol.ResultRecord result = results[i];
            WorkItem item = items[i];
            if (result.Sequence != item.Sequence)
            {
                throw new FormatException($"Node {Node.Name} answered record {result.Sequence} where {item.Sequence} was expected.");
            }

            ReadOnlySpan<byte> payload = result.Payload.Span;
            switch (result.Status)
            {
                case NodeProtocol.ResultStatus.Ok:
                    RecordCompleted(item.Count, result.BusyTicks);
                    _backend.Costs.Observe(item.CostKey, item.Count, result.BusyTicks);
                    item.Complete(payload);
                    break;
                case NodeProtocol.ResultStatus.Canceled when item.CancellationRequested:
                    RecordFailed(item.Count, result.BusyTicks);
                    item.Canceled();
                    break;
                case NodeProtocol.ResultStatus.TimedOut:
                    RecordFailed(item.Count, result.BusyTicks);
                    TimeSpan limit = payload.Length >= 8 ? TimeSpan.FromTicks(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(payload)) : item.Timeout ?? TimeSpan.Zero;
                    item.Fail(new JobTimeoutException(item.Name, Id, limit));
                    break;
                case NodeProtocol.ResultStatus.Failed:
                    RecordFailed(item.Count, result.BusyTicks);
                    JobFailedException remote = RemoteError.Read(Id, payload);
                    item.Fail(new JobFailedException(item.Name, Id, remote.RemoteType, remote.RemoteMessage, remote.RemoteStackTrace));
                    break;
                default:
                    // Cancelled by the node's own shutdown, or lost with it: not the job's doing.
                    (lost ??= []).Add(item);
                    continue;
            }

            lease.Done(item);
        }

        return lost;
    }
}
