using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.Internal;
using ParallelKit.Ipc;

namespace ParallelKit.Workers;

/// <summary>
/// The worker side of a job server: runs the job records the parent sends on the data channel, in
/// order, on this (the main) thread, and sends their results back; a second thread reads the control
/// channel for cancellation and shutdown.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    /// <summary>Results of jobs longer than this are sent at once instead of with the rest of their batch.</summary>
    private static readonly long FlushAfterTicks = Stopwatch.Frequency / 1000;

    private const int FlushAfterBytes = 1 << 20;

    /// <summary>How long a single-job process waits for a job sent with its start before it warms up as a spare.</summary>
    private const int JobAlreadySentWithinMilliseconds = 5;

    private readonly string _endpoint;
    private readonly byte[] _token;
    private readonly int _workerId;
    private readonly bool _singleJob;
    private readonly FrameBuffer _out = new(64 * 1024);
    private readonly object _cancelGate = new();
    private readonly HashSet<long> _canceledEarly = [];
    private CancellationTokenSource _cts = new();
    private long _currentSequence = -1;
    private volatile bool _shuttingDown;
    private int _failedRecords;
    private WorkerChannel? _data;
    private WorkerChannel? _control;
    private int _parent;

    // The last job looked up: maps and batches run the same job many times in a row.
    private ulong _lastKey;
    private JobDecoder _lastDecoder = null!;
    private string _lastName = string.Empty;

    private readonly int _maxMessageSize;

    public WorkerProcess(string endpoint, string token, int workerId, bool singleJob, int maxMessageSize)
    {
        _maxMessageSize = maxMessageSize;
        _endpoint = endpoint;
        _token = WorkerEnvironment.DecodeToken(token);
        _workerId = workerId;
        _singleJob = singleJob;
    }

    /// <summary>Serves until the parent closes or says stop; returns the exit code.</summary>
    public int Run()
    {
        _parent = NativeProcess.ParentProcessId();
        WorkerChannel data = _data = Connect(Channel.Data);
        _control = Connect(Channel.Control);

        // A process started for a job gets it right after connecting (within microseconds): it runs the job at
        // once. A server worker, or a spare waiting for its job, has time to compile the record path now,
        // and a spare also its exit and MemoryPack's formatter table (most jobs never need that table).
        if (!_singleJob || !data.WaitReadable(JobAlreadySentWithinMilliseconds))
        {
            WarmUp();
            if (_singleJob)
            {
                PrepareToExit();
                MarshalingWarmup.Start();
            }
        }

        var controlThread = new Thread(ControlLoop) { IsBackground = true, Name = "ParallelKit worker control" };
        controlThread.Start();

        byte[] frame = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (!_shuttingDown)
            {
                int length = Wire.ReceiveFrame(data, ref frame, out FrameType type);
                if (length < 0)
                {
                    return 0;
                }

                if (type == FrameType.Batch)
                {
                    RunBatch(frame.AsSpan(0, length));
                    if (_singleJob)
                    {
                        return _failedRecords == 0 ? 0 : 1;
                    }
                }
            }

            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Runs the built-in <see cref="WarmupJob"/> through the record path, result discarded.</summary>
    private void WarmUp()
    {
        using var record = new FrameBuffer(64);
        record.WriteInt32(1);
        record.WriteInt32(-1);
        record.Write<string?>(null);
        record.WriteUInt64(WarmupJob.Key);
        RunRecord(-1, record.WrittenSpan);
        _out.Clear();
        _failedRecords = 0;
    }

    /// <summary>
    /// A single-job process flushes the console and leaves right after its job: pay for opening the console
    /// writers now, while a warm spare waits for its job, not between the job's end and the exit.
    /// </summary>
    private static void PrepareToExit()
    {
        Console.Out.Flush();
        Console.Error.Flush();
        ConsoleWriters.FlushCreated();
        NativeProcess.PrepareExit();
    }

    private WorkerChannel Connect(Channel channel)
    {
        WorkerChannel connection = WorkerChannel.Connect(_endpoint);
        Span<byte> hello = stackalloc byte[Wire.HandshakeLength];
        BinaryPrimitives.WriteUInt32LittleEndian(hello, Wire.Magic);
        hello[4] = Wire.ProtocolVersion;
        _token.CopyTo(hello[5..]);
        int at = 5 + Wire.TokenLength;
        BinaryPrimitives.WriteInt32LittleEndian(hello[at..], _workerId);
        hello[at + 4] = (byte)channel;
        BinaryPrimitives.WriteInt32LittleEndian(hello[(at + 5)..], Environment.ProcessId);
        WorkerEnvironment.EntryModuleVersionId().TryWriteBytes(hello[(at + 9)..]);
        Span<byte> answer = stackalloc byte[1];
        bool accepted;
        try
        {
            connection.Send(hello);
            accepted = Wire.ReceiveExactly(connection, answer) && answer[0] == Wire.HandshakeAccepted;
        }
        catch (System.IO.IOException)
        {
            accepted = false;
        }

        if (!accepted)
        {
            connection.Dispose();
            throw new WorkerRefusedException(answer[0] == Wire.HandshakeRejectedOtherBuild
                ? $"this process runs a different build of '{Environment.ProcessPath}' than its parent (module version ids differ): " +
                  "the executable was rebuilt or replaced while the parent was running. Restart the parent process."
                : "the parent process refused this worker (wrong secret, or it no longer expects this worker).");
        }

        return connection;
    }

    private void RunBatch(ReadOnlySpan<byte> body)
    {
        int count = BinaryPrimitives.ReadInt32LittleEndian(body);
        int offset = 4;
        BeginResults(out int countAt);
        int results = 0;
        for (int r = 0; r < count; r++)
        {
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(body[offset..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(body[(offset + 8)..]);
            ReadOnlySpan<byte> payload = body.Slice(offset + 12, length);
            offset += 12 + length;
            if (_shuttingDown)
            {
                break;
            }

            long started = Stopwatch.GetTimestamp();
            RunRecord(sequence, payload);
            results++;
            long elapsed = Stopwatch.GetTimestamp() - started;
            if ((elapsed > FlushAfterTicks || _out.WrittenCount > FlushAfterBytes) && r < count - 1)
            {
                SendResults(countAt, results);
                BeginResults(out countAt);
                results = 0;
            }
        }

        SendResults(countAt, results);
    }

    private void BeginResults(out int countAt)
    {
        _out.Clear();
        _out.Reserve(5);
        countAt = _out.Reserve(4);
    }

    private void SendResults(int countAt, int results)
    {
        if (results == 0)
        {
            return;
        }

        _out.PatchInt32(countAt, results);
        _out.PatchInt32(0, _out.WrittenCount - 5);
        _out.PatchByte(4, (byte)FrameType.Results);
        _data!.Send(_out.WrittenSpan);
    }

    /// <summary>
    /// Runs one record (a job, or a chunk of a map: a MemoryPack stream of count, first map index or -1,
    /// then key and arguments per job) and appends its result record:
    /// sequence(8) status(1) elapsed ticks(8) length(4) payload.
    /// </summary>
    private void RunRecord(long sequence, ReadOnlySpan<byte> payload)
    {
        _out.WriteInt64(sequence);
        int statusAt = _out.Reserve(1);
        int elapsedAt = _out.Reserve(8);
        int lengthAt = _out.Reserve(4);
        int payloadAt = _out.WrittenCount;
        long started = Stopwatch.GetTimestamp();
        CancellationToken token = BeginRecord(sequence);
        string jobName = "job";
        var status = RecordStatus.Ok;
        var reader = new JobReader(payload);
        Activity? run = null;
        FrameBuffer output = _out;
        MemoryPackWriterOptionalState state = MemoryPackWriterOptionalStatePool.Rent(null);
        var results = new JobWriter(ref output, state);
        try
        {
            int jobs = reader.Read<int>();
            int firstMapIndex = reader.Read<int>();
            run = Diagnostics.JobTracing.StartRun(reader.Read<string?>(), "job");
            for (int i = 0; i < jobs; i++)
            {
                // A chunk of a cancelled map runs none of its remaining jobs (a shutdown lets them finish, as before).
                if (i > 0 && token.IsCancellationRequested && !_shuttingDown)
                {
                    throw new OperationCanceledException(token);
                }

                ulong key = reader.Read<ulong>();
                if (key == _lastKey)
                {
                    jobName = _lastName;
                }
                else if (JobRegistry.TryGet(key, out _lastDecoder, out jobName))
                {
                    _lastKey = key;
                    _lastName = jobName;
                }
                else
                {
                    throw new InvalidOperationException(
                        $"This worker has no job with key 0x{key:X16}. The executable's generated worker entrypoint registers the jobs of " +
                        "the entry assembly and of every library it references directly; reference the library that declares the job from the executable project.");
                }

                if (firstMapIndex >= 0)
                {
                    jobName = $"{jobName} (map item {firstMapIndex + i})";
                }

                if (i == 0)
                {
                    run?.SetTag("parallelkit.job.name", _lastName);
                }

                JobCall call = _lastDecoder(ref reader);
                if (!call.TryRun(ref results, token, out Task? pending))
                {
                    // An asynchronous job: results written so far go to the buffer first, then this one.
                    results.Flush();
                    pending!.GetAwaiter().GetResult();
                    call.WritePendingResult(pending, _out);
                    results = new JobWriter(ref output, state);
                }
            }

            results.Flush();
            int size = _out.WrittenCount - payloadAt;
            if (size > _maxMessageSize)
            {
                throw new InvalidOperationException(
                    $"The job's result takes {size:N0} bytes marshaled, more than JobServerOptions.MaxMessageSize ({_maxMessageSize:N0} bytes).");
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            status = RecordStatus.Canceled;
            _out.Truncate(payloadAt);
        }
        catch (Exception ex)
        {
            status = RecordStatus.Failed;
            run?.SetStatus(ActivityStatusCode.Error, ex.Message);
            _failedRecords++;
            _out.Truncate(payloadAt);
            RemoteError.Write(_out, jobName, ex);
            if (_singleJob)
            {
                Console.Error.WriteLine($"ParallelKit: job '{jobName}' failed in process {Environment.ProcessId}:{Environment.NewLine}{ex}");
            }
        }
        finally
        {
            run?.Dispose();
            reader.Dispose();
            ((IDisposable)state).Dispose();
            EndRecord();
        }

        _out.PatchByte(statusAt, (byte)status);
        _out.PatchInt64(elapsedAt, Stopwatch.GetElapsedTime(started).Ticks);
        _out.PatchInt32(lengthAt, _out.WrittenCount - payloadAt);
    }

    private CancellationToken BeginRecord(long sequence)
    {
        lock (_cancelGate)
        {
            if (!_cts.TryReset())
            {
                _cts.Dispose();
                _cts = new CancellationTokenSource();
            }

            Volatile.Write(ref _currentSequence, sequence);
            if (_canceledEarly.Remove(sequence) || _shuttingDown)
            {
                _cts.Cancel();
            }

            if (_canceledEarly.Count > 0)
            {
                // Sequence numbers only grow: cancellations of records that already ran are stale.
                _canceledEarly.RemoveWhere(s => s < sequence);
            }

            return _cts.Token;
        }
    }

    private void EndRecord()
    {
        lock (_cancelGate)
        {
            Volatile.Write(ref _currentSequence, -1);
        }
    }

    /// <summary>
    /// Reads cancellations and shutdown from the control channel. Its end of stream says the parent is gone;
    /// belt and braces, a parent process that changed (the worker was re-parented) also ends the worker.
    /// </summary>
    private void ControlLoop()
    {
        WorkerChannel control = _control!;
        byte[] frame = new byte[256];
        while (true)
        {
            if (_parent > 1 && !control.WaitReadable(1000))
            {
                if (NativeProcess.ParentProcessId() != _parent)
                {
                    Environment.Exit(0);
                }

                continue;
            }

            int length;
            FrameType type;
            try
            {
                length = Wire.ReceiveFrame(control, ref frame, out type);
            }
            catch (InvalidOperationException)
            {
                length = -1;
                type = default;
            }

            if (length < 0)
            {
                if (!_shuttingDown)
                {
                    // The parent is gone without saying goodbye: nobody will read our results.
                    Environment.Exit(0);
                }

                return;
            }

            switch (type)
            {
                case FrameType.Cancel when length >= 8:
                    Cancel(BinaryPrimitives.ReadInt64LittleEndian(frame));
                    break;
                case FrameType.Shutdown:
                    _shuttingDown = true;
                    lock (_cancelGate)
                    {
                        _cts.Cancel();
                    }

                    _data!.ShutdownReceive();
                    return;
            }
        }
    }

    private void Cancel(long sequence)
    {
        lock (_cancelGate)
        {
            if (Volatile.Read(ref _currentSequence) == sequence)
            {
                _cts.Cancel();
            }
            else
            {
                _canceledEarly.Add(sequence);
            }
        }
    }

    /// <summary>A single-job process's last word before <c>_exit</c>: its exit code, on the data channel.</summary>
    public void ReportExit(int exitCode)
    {
        // Once the parent has the report it closes the channels: the control thread must not take that for the
        // parent's death (it would leave through Environment.Exit, running exit handlers, racing _exit's code).
        _shuttingDown = true;
        if (_data is null)
        {
            return;
        }

        Span<byte> frame = stackalloc byte[9];
        BinaryPrimitives.WriteInt32LittleEndian(frame, 4);
        frame[4] = (byte)FrameType.Exiting;
        BinaryPrimitives.WriteInt32LittleEndian(frame[5..], exitCode);
        try
        {
            _data.Send(frame);
        }
        catch (System.IO.IOException)
        {
            // The parent is gone: nobody waits for the report.
        }
    }

    public void Dispose()
    {
        // Closing the control channel below wakes the control thread: it must not take that for the parent's death.
        _shuttingDown = true;
        _data?.Dispose();
        _control?.Dispose();
        _out.Dispose();
        _cts.Dispose();
    }
}
