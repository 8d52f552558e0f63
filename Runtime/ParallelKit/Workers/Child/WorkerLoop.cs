using System;
using System.Buffers;
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
internal sealed class WorkerLoop : IDisposable
{
    /// <summary>Results of jobs longer than this are sent at once instead of with the rest of their batch.</summary>
    private static readonly long FlushAfterTicks = Stopwatch.Frequency / 1000;

    private const int FlushAfterBytes = 1 << 20;

    /// <summary>How long a single-job process waits for a job sent with its start before it warms up as a spare.</summary>
    private const int JobAlreadySentWithinMilliseconds = 5;

    /// <summary>A single-job process's exit code after SIGTERM (128 + 15, as a shell reports a process SIGTERM ended).</summary>
    public const int TerminatedExitCode = 143;

    /// <summary>How long a terminated job may clean up after its token is cancelled before the process leaves anyway.</summary>
    private static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(5);

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
    private volatile bool _terminated;
    private System.Runtime.InteropServices.PosixSignalRegistration? _terminate;

    // The last job looked up: maps and batches run the same job many times in a row.
    private ulong _lastKey;
    private JobDecoder _lastDecoder = null!;
    private string _lastName = string.Empty;

    private readonly int _maxMessageSize;

    // Milliseconds between heartbeats (0: none), sent by the control thread on the data channel; _sendGate
    // keeps them from interleaving with the main thread's results. A results send may wait for room in the ring for
    // as long as the parent does not read (stopped, or killed): the control thread never waits for _sendGate, or it
    // would never see the control channel's end of stream that says the parent is gone. It reads and closes _data
    // under _swapGate, which only TakeRings holds besides it.
    private readonly int _heartbeatMilliseconds;
    private readonly Lock _sendGate = new();
    private readonly Lock _swapGate = new();

    public WorkerLoop(string endpoint, string token, int workerId, bool singleJob, int maxMessageSize, int heartbeatMilliseconds = 0)
    {
        _maxMessageSize = maxMessageSize;
        _heartbeatMilliseconds = singleJob ? 0 : heartbeatMilliseconds;
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

        if (_singleJob && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            _terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnTerminate);
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
                else if (type == FrameType.Rings && !_singleJob)
                {
                    data = TakeRings(data, frame.AsSpan(0, length));
                }
            }

            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>
    /// The parent offered shared-memory rings (<see cref="WorkerRings"/>): every later data frame, both ways, goes
    /// through them. The swap is made under the send gate (no heartbeat goes out half on the socket) and the swap
    /// gate, which the control thread takes too, so that a shutdown racing with it closes the rings rather than the
    /// socket nobody reads any more.
    /// </summary>
    private RingWorkerChannel TakeRings(WorkerChannel socket, ReadOnlySpan<byte> body)
    {
        var channel = new RingWorkerChannel(WorkerRings.Open(body), socket);
        lock (_sendGate)
        {
            lock (_swapGate)
            {
                _data = channel;
            }
        }

        return channel;
    }

    /// <summary>Whether SIGTERM (<see cref="ParallelProcess.Terminate"/>) ended this single-job process's job.</summary>
    public bool Terminated => _terminated;

    /// <summary>
    /// SIGTERM in a single-job process: Python's <c>terminate()</c>, done the .NET way. The job's cancellation
    /// token is cancelled and the process leaves with <see cref="TerminatedExitCode"/> once the job returns, or
    /// after <see cref="TerminateGrace"/> if it does not. A process still waiting for its job leaves at once.
    /// </summary>
    private void OnTerminate(System.Runtime.InteropServices.PosixSignalContext context)
    {
        context.Cancel = true; // handled here, not by the runtime's own shutdown
        _terminated = true;
        bool running;
        lock (_cancelGate)
        {
            running = Volatile.Read(ref _currentSequence) >= 0;
            _cts.Cancel();
        }

        var leave = new Thread(() =>
        {
            if (running)
            {
                Thread.Sleep(TerminateGrace);
            }

            ConsoleWriters.FlushCreated();
            NativeProcess.ReleaseProcessResources();
            ReportExit(TerminatedExitCode);
            NativeProcess.Exit(TerminatedExitCode);
        });
        leave.IsBackground = true;
        leave.Name = "ParallelKit terminate";
        leave.Start();
    }

    /// <summary>Runs the built-in <see cref="WarmupJob"/> through the record path, result discarded.</summary>
    private void WarmUp()
    {
        using var record = new FrameBuffer(64);
        JobPayload.WriteHeader(record, jobs: 1, JobPayload.NotAMap, traceParent: null);
        record.WriteUInt64(WarmupJob.Key);
        RunRecord(-1, record.WrittenSpan);
        _out.Clear();
        _failedRecords = 0;
    }

    /// <summary>
    /// A single-job process flushes the console and leaves right after its job: compile that path now, while a
    /// warm spare waits for its job, not between the job's end and the exit. The console writers themselves are
    /// not opened here: each holds a duplicate of its descriptor (stdout, stderr), which a process started for a
    /// job that never prints does not have either; a spare holds only what such a process holds.
    /// </summary>
    private static void PrepareToExit()
    {
        ConsoleWriters.FlushCreated();
        NativeProcess.PrepareExit();
        ForegroundThreads.Resolve();
    }

    private WorkerChannel Connect(Channel channel)
    {
        WorkerChannel connection = WorkerChannel.Connect(_endpoint);
        Span<byte> hello = stackalloc byte[HandshakeRecord.Size];
        new HandshakeRecord(_workerId, channel, Environment.ProcessId, WorkerEnvironment.EntryModuleVersionId()).Write(hello, _token);
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

    // Compiled optimized at once (this and RunRecord): each runs once per batch, so tiered compilation would keep their
    // per-item loops in tier-0 and on-stack-replaced code for the first hundreds of batches of a young worker.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void RunBatch(ReadOnlySpan<byte> body)
    {
        var batch = new BatchRecord.Reader(body);
        int count = batch.Count;
        BeginResults(out _resultsCountAt);
        _resultsInFrame = 0;
        for (int r = 0; r < count && batch.TryNext(out long sequence, out ReadOnlySpan<byte> payload); r++)
        {
            if (_shuttingDown)
            {
                break;
            }

            long started = Stopwatch.GetTimestamp();
            RunRecord(sequence, payload);
            _resultsInFrame++;
            long elapsed = Stopwatch.GetTimestamp() - started;
            if ((elapsed > FlushAfterTicks || _out.WrittenCount > FlushAfterBytes) && r < count - 1)
            {
                SendResults(_resultsCountAt, _resultsInFrame);
                BeginResults(out _resultsCountAt);
                _resultsInFrame = 0;
            }
        }

        SendResults(_resultsCountAt, _resultsInFrame);
    }

    // The results frame being built in _out: where its record count goes, and how many records it holds.
    private int _resultsCountAt;
    private int _resultsInFrame;

    /// <summary>The result record being written in <see cref="_out"/> (see <see cref="ResultRecord"/>), and when its job began.</summary>
    private readonly struct RecordLayout
    {
        private readonly int _at;
        private readonly long _started;

        private RecordLayout(int at, long started)
        {
            _at = at;
            _started = started;
        }

        /// <summary>Where the record's payload starts in the output.</summary>
        public int PayloadAt => _at + ResultRecord.HeaderSize;

        public static RecordLayout Begin(FrameBuffer output, long sequence)
            => new(ResultRecord.Begin(output, sequence), Stopwatch.GetTimestamp());

        public void End(FrameBuffer output, RecordStatus status)
            => ResultRecord.End(output, _at, status, Stopwatch.GetElapsedTime(_started).Ticks);
    }

    /// <summary>
    /// Tells when a map chunk's part of results is old enough to send, reading the clock only every so many items:
    /// while the items since the last reading took less than a sixteenth of the limit together, the stride between
    /// readings doubles (up to 256 items); when they took more, and when a new part starts, it is one again. Tiny jobs
    /// then pay for a clock reading every few hundred items, and a job that takes a millisecond is still followed by one.
    /// </summary>
    private struct PartClock(long started)
    {
        private const int MaxStride = 256;
        private long _lastReading = started;
        private int _stride = 1;
        private int _untilReading = 1;

        /// <summary>Starts a new part now; returns the time.</summary>
        public long Restart()
        {
            _stride = 1;
            _untilReading = 1;
            return _lastReading = Stopwatch.GetTimestamp();
        }

        /// <summary>Whether the part that began at <paramref name="partStarted"/> is older than <paramref name="ticks"/> (read at this item or not at all).</summary>
        public bool IsOlderThan(long partStarted, long ticks)
        {
            if (--_untilReading > 0)
            {
                return false;
            }

            long now = Stopwatch.GetTimestamp();
            // Items that took a sixteenth of the limit since the last reading are slow enough to read the clock after each.
            _stride = now - _lastReading > ticks / 16 ? 1 : Math.Min(_stride * 2, MaxStride);
            _untilReading = _stride;
            _lastReading = now;
            return now - partStarted > ticks;
        }
    }

    /// <summary>
    /// Sends the results of a map chunk's items so far as a <see cref="RecordStatus.Partial"/> record (with
    /// everything before it in the frame), and opens the record again, for the same sequence, for the rest.
    /// <paramref name="carried"/> are the bytes of a result that did not fit the part: they start the next one.
    /// </summary>
    private void SendPartial(long sequence, ref RecordLayout record, ref int partAt, int partItems, ReadOnlySpan<byte> carried)
    {
        MapChunkResults.End(_out, partAt, partItems);
        record.End(_out, RecordStatus.Partial);
        SendResults(_resultsCountAt, _resultsInFrame + 1);
        BeginResults(out _resultsCountAt);
        _resultsInFrame = 0;
        record = RecordLayout.Begin(_out, sequence);
        partAt = MapChunkResults.Begin(_out);
        _out.WriteBytes(carried);
    }

    private void BeginResults(out int countAt) => countAt = ResultRecord.BeginResults(_out);

    private void SendResults(int countAt, int results)
    {
        if (results == 0)
        {
            return;
        }

        ResultRecord.EndResults(_out, countAt, results);
        lock (_sendGate)
        {
            try
            {
                _data!.Send(_out.WrittenSpan);
            }
            catch (System.IO.IOException) when (_shuttingDown)
            {
                // Shutting down, and the parent went (the control thread closed the rings): nobody reads these results.
            }
        }
    }

    /// <summary>
    /// Runs one record (a job, or a chunk of a map: a <see cref="JobPayload"/>) and appends its
    /// <see cref="ResultRecord"/> (a map chunk's payload is <see cref="MapChunkResults"/>, sent in parts).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void RunRecord(long sequence, ReadOnlySpan<byte> payload)
    {
        RecordLayout record = RecordLayout.Begin(_out, sequence);
        CancellationToken token = BeginRecord(sequence);
        string jobName = "job";
        int mapItem = -1;
        var status = RecordStatus.Ok;
        var reader = new JobReader(payload);
        Activity? run = null;
        FrameBuffer output = _out;
        MemoryPackWriterOptionalState state = MemoryPackWriterOptionalStatePool.Rent(null);
        var results = new JobWriter(ref output, state);

        // Where the results writer began in _out: it writes past _out.WrittenCount until it is flushed, so the
        // position of what it wrote is resultsAt + results.WrittenCount (no flush per item).
        int resultsAt = _out.WrittenCount;
        try
        {
            JobPayload.ReadHeader(ref reader, out int jobs, out int firstMapIndex, out string? traceParent);
            run = Diagnostics.JobTracing.StartRun(traceParent, "job");

            // A map chunk's results travel in parts (see MapChunkResults and RecordStatus.Partial).
            bool map = firstMapIndex >= 0;
            int partAt = -1;
            int partFirst = 0;
            long partStarted = Stopwatch.GetTimestamp();
            var clock = new PartClock(partStarted);
            if (map)
            {
                results.Flush();
                partAt = MapChunkResults.Begin(_out);
                results = new JobWriter(ref output, state);
                resultsAt = _out.WrittenCount;
            }

            for (int i = 0; i < jobs; i++)
            {
                // A chunk of a cancelled map runs none of its remaining jobs (a shutdown lets them finish, as before).
                if (i > 0 && token.IsCancellationRequested && !_shuttingDown)
                {
                    throw new OperationCanceledException(token);
                }

                int itemAt = resultsAt + results.WrittenCount;
                if (map)
                {
                    // The item's name ("job (map item n)") is made only if it fails.
                    mapItem = firstMapIndex + i;
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
                    resultsAt = _out.WrittenCount;
                }

                if (!map)
                {
                    continue;
                }

                // Each item's result is checked on its own (the error names that item), and the part is sent
                // before it would outgrow the limit, after the first item, or once it is a millisecond old: a
                // worker that dies later keeps what it delivered.
                int written = resultsAt + results.WrittenCount;
                int itemSize = written - itemAt;
                if (itemSize > _maxMessageSize)
                {
                    throw ResultTooLarge(itemSize);
                }

                if (written - record.PayloadAt - MapChunkResults.HeaderSize > _maxMessageSize)
                {
                    results.Flush();
                    byte[] carried = _out.WrittenSpan[itemAt..].ToArray();
                    _out.Truncate(itemAt);
                    SendPartial(sequence, ref record, ref partAt, i - partFirst, carried);
                    partFirst = i;
                    partStarted = clock.Restart();
                    results = new JobWriter(ref output, state);
                    resultsAt = _out.WrittenCount;
                }
                else if (i < jobs - 1
                    && (i == 0 || written - record.PayloadAt > FlushAfterBytes || clock.IsOlderThan(partStarted, FlushAfterTicks)))
                {
                    results.Flush();
                    SendPartial(sequence, ref record, ref partAt, i + 1 - partFirst, []);
                    partFirst = i + 1;
                    partStarted = clock.Restart();
                    results = new JobWriter(ref output, state);
                    resultsAt = _out.WrittenCount;
                }
            }

            results.Flush();
            if (map)
            {
                MapChunkResults.End(_out, partAt, jobs - partFirst);
            }

            int size = _out.WrittenCount - record.PayloadAt - (map ? MapChunkResults.HeaderSize : 0);
            if (size > _maxMessageSize)
            {
                throw ResultTooLarge(size);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            status = RecordStatus.Canceled;
            _out.Truncate(record.PayloadAt);
        }
        catch (Exception ex)
        {
            status = RecordStatus.Failed;
            run?.SetStatus(ActivityStatusCode.Error, ex.Message);
            _failedRecords++;
            _out.Truncate(record.PayloadAt);
            if (mapItem >= 0)
            {
                jobName = $"{jobName} (map item {mapItem})";
            }

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

        record.End(_out, status);
    }

    private InvalidOperationException ResultTooLarge(int size) => new(
        $"The job's result takes {size:N0} bytes marshaled, more than JobServerOptions.MaxMessageSize ({_maxMessageSize:N0} bytes).");

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
            if (_canceledEarly.Remove(sequence) || _shuttingDown || _terminated)
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
        int beat = _heartbeatMilliseconds;
        long nextBeat = Environment.TickCount64;
        while (true)
        {
            if (beat > 0 && Environment.TickCount64 >= nextBeat)
            {
                SendHeartbeat();
                nextBeat = Environment.TickCount64 + beat;
            }

            int wait = beat > 0 ? (int)Math.Clamp(nextBeat - Environment.TickCount64, 0, 1000) : _parent > 1 ? 1000 : -1;
            if (wait >= 0 && !control.WaitReadable(wait))
            {
                if (_parent > 1 && NativeProcess.ParentProcessId() != _parent)
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

                // Shutting down, and now the parent closed (or died, or this process is leaving): a last job still
                // writing its results must not wait for room in rings nobody reads (it may hold the send gate while
                // it waits: closing a ring is safe beside its writer, and wakes it).
                lock (_swapGate)
                {
                    (_data as RingWorkerChannel)?.Close();
                }

                return;
            }

            switch (type)
            {
                case FrameType.Cancel when FrameHeader.TryReadCancel(frame.AsSpan(0, length), out long sequence):
                    Cancel(sequence);
                    break;
                case FrameType.Shutdown:
                    _shuttingDown = true;
                    lock (_cancelGate)
                    {
                        _cts.Cancel();
                    }

                    WorkerChannel data;
                    lock (_swapGate)
                    {
                        data = _data!;
                    }

                    data.ShutdownReceive();

                    // Still listening: the end of the control channel (the parent's exit) ends what is left.
                    break;
            }
        }
    }

    /// <summary>
    /// Tells the parent this process still runs (its jobs may take as long as they like). Never waits: not while results
    /// are being sent (their arrival tells the parent as much), and not when there is no room for it (the parent does
    /// not read: it was stopped, or killed) — the control thread must see the parent go.
    /// </summary>
    private void SendHeartbeat()
    {
        ReadOnlySpan<byte> frame = FrameHeader.Empty(stackalloc byte[FrameHeader.Size], FrameType.Heartbeat);
        if (!_sendGate.TryEnter())
        {
            return;
        }

        try
        {
            _ = _data!.TrySend(frame);
        }
        catch (Exception ex) when (ex is System.IO.IOException or ObjectDisposedException)
        {
            // The parent is gone: the control channel's end of stream says so next.
        }
        finally
        {
            _sendGate.Exit();
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

        ReadOnlySpan<byte> frame = FrameHeader.Exiting(stackalloc byte[FrameHeader.Size + 4], exitCode);
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
        _terminate?.Dispose();
    }
}
