using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using ParallelKit.Cluster.Hosting;

namespace ParallelKit.Cluster.Node;

/// <summary>
/// The node's side of the cluster: runs the batches drivers send on the node's own job server of worker
/// processes (a job that crashes kills a worker there, never the node), and answers introductions.
/// </summary>
internal sealed partial class NodeRunner : IAsyncDisposable
{
    private readonly ClusterOptions _options;
    private readonly ILogger _log;
    private readonly JobServer _local;
    private readonly ConcurrentDictionary<(string Driver, int Slot, long Sequence), RelayedRecord> _records = new();

    public NodeRunner(ClusterOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _log = loggers.CreateLogger(SiloSetup.LogCategory);
        _local = JobServer.Start(new JobServerOptions
        {
            Workers = options.Workers,
            MaxAttempts = options.MaxAttempts,
            JobTimeout = options.JobTimeout,
            MaxMessageSize = Math.Min(options.MaxMessageSize, Ipc.Wire.MaxMessageSize),
            Logger = _log,
        });
        Name = SiloSetup.ProcessName(options);
    }

    public string Name { get; }

    /// <summary>A driver introduced itself: describe this node, or refuse a driver of another build.</summary>
    public NodeDescription Describe(DriverDescription driver)
    {
        string? refusal = null;
        if (driver.Build != BuildIdentity.Current)
        {
            refusal = $"node {Name} runs build {BuildIdentity.Current}, but driver {driver.Name} ({driver.Address}) runs build {driver.Build}: start every node and the driver from the same build";
            LogRefusedDriver(refusal);
        }
        else
        {
            LogDriverJoined(driver.Name, driver.Address);
        }

        return new NodeDescription(Name, Dns.GetHostName(), Environment.ProcessId, _options.Workers, [.. _options.Tags], BuildIdentity.Current, refusal);
    }

    /// <summary>Runs one slot's batch and returns the results message.</summary>
    public async Task<byte[]> RunAsync(string driver, int slot, byte[] batch)
    {
        NodeProtocol.BatchRecord[] incoming = NodeProtocol.ReadBatch(batch);
        var records = new RelayedRecord[incoming.Length];
        for (int i = 0; i < records.Length; i++)
        {
            records[i] = new RelayedRecord(incoming[i]);
            _records[(driver, slot, records[i].DriverSequence)] = records[i];
        }

        try
        {
            _local.Core.Dispatcher.Enqueue(new RelayedBatch(records));
            await Task.WhenAll(records.Select(r => r.Completion)).ConfigureAwait(false);
        }
        finally
        {
            foreach (RelayedRecord record in records)
            {
                _records.TryRemove(new((driver, slot, record.DriverSequence), record));
            }
        }

        int size = 4 + records.Sum(r => NodeProtocol.ResultRecordHeader + r.Result.Length);
        var results = new byte[size];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(results, records.Length);
        int offset = 4;
        foreach (RelayedRecord record in records)
        {
            NodeProtocol.WriteResultRecordHeader(results.AsSpan(offset), record.DriverSequence, record.Status, record.BusyTicks, record.Result.Length);
            record.Result.CopyTo(results.AsSpan(offset + NodeProtocol.ResultRecordHeader));
            offset += NodeProtocol.ResultRecordHeader + record.Result.Length;
        }

        return results;
    }

    public void Cancel(string driver, int slot, long sequence)
    {
        if (_records.TryGetValue((driver, slot, sequence), out RelayedRecord? record))
        {
            record.Cancel();
        }
    }

    /// <summary>A driver left or died: what it had running here is cancelled (nobody would read the results).</summary>
    public void DriverGone(string driver)
    {
        int cancelled = 0;
        foreach (var ((from, _, _), record) in _records)
        {
            if (from == driver)
            {
                record.Cancel();
                cancelled++;
            }
        }

        if (cancelled > 0)
        {
            LogDriverGone(driver, cancelled);
        }
    }

    public ValueTask DisposeAsync() => _local.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a driver: {Reason}")]
    private partial void LogRefusedDriver(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Driver {Driver} ({Address}) is using this node")]
    private partial void LogDriverJoined(string driver, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Driver at {Driver} is gone: {Count} of its jobs here were cancelled")]
    private partial void LogDriverGone(string driver, int count);
}
