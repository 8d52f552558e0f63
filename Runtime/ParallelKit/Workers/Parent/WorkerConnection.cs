using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;
using ParallelKit.Ipc;
using ParallelKit.Scheduling;

namespace ParallelKit.Workers;

/// <summary>The parent's handle on one worker process: its two channels, its batch, its death.</summary>
internal sealed class WorkerConnection : WorkerSlot, IDisposable
{
    private const int Starting = 0;
    private const int Alive = 1;
    private const int ShuttingDown = 2;
    private const int Dead = 3;

    private readonly ProcessBackend _backend;
    private readonly object _gate = new();
    private readonly object _controlGate = new();
    private readonly FrameBuffer _send = new(64 * 1024);
    private List<WorkItem> _inFlight = [];
    private Process? _process;
    private Socket? _data;

    // The data channel in shared memory (null: data frames go over _data); see WorkerRings.
    private WorkerRings? _rings;
    private Socket? _control;
    private int _pid = -1;
    private int _state;
    private int _reported;
    private Timer? _watchdog;
    private long _batchGeneration;
    private Timer? _startTimer;
    private bool _condemned;

    /// <summary>How long a started worker may take to connect.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private long _watchdogGeneration;

    // When the worker last sent anything (a heartbeat, results), and when its current batch went out
    // (Environment.TickCount64): a busy worker silent since both for HeartbeatTimeout is hung.
    private long _lastHeard;
    private long _batchSentAt;
    private string? _killedBecause;

    public WorkerConnection(int id, ProcessBackend backend)
        : base(id, backend.Dispatcher)
    {
        _backend = backend;
    }

    public override int ProcessId => Volatile.Read(ref _pid);

    public override bool IsAlive => Volatile.Read(ref _state) == Alive;

    public override bool IsStarting => Volatile.Read(ref _state) == Starting;

    public void Start(ProcessStartInfo startInfo)
    {
        Process process = Process.Start(startInfo)
            ?? throw new InvalidOperationException("The worker process did not start.");
        _process = process;
        Volatile.Write(ref _pid, process.Id);
        Internal.RuntimeIpcFiles.RemoveWhenExited(process);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => OnExited();
        if (process.HasExited)
        {
            OnExited();
        }

        if (Volatile.Read(ref _state) == Dead)
        {
            // Stopped (server disposed or shrunk) before the process existed to be killed.
            KillProcess();
            return;
        }

        // A worker that lives but never connects (a static constructor that blocks, say) must not be waited for forever.
        _startTimer = new Timer(
            static state => ((WorkerConnection)state!).StartFailed($"did not connect within {StartTimeout.TotalSeconds:F0} s"),
            this,
            StartTimeout,
            Timeout.InfiniteTimeSpan);
    }

    public void Attach(Channel channel, Socket socket)
    {
        bool ready;
        lock (_gate)
        {
            if (_state != Starting || (channel == Channel.Data ? _data : _control) is not null)
            {
                socket.Dispose();
                return;
            }

            if (channel == Channel.Data)
            {
                _data = socket;
                _rings = OfferRings(socket);
            }
            else
            {
                _control = socket;
            }

            ready = _data is not null && _control is not null;
            if (ready)
            {
                _state = Alive;
            }
        }

        if (ready)
        {
            _startTimer?.Dispose();
            var reader = new Thread(ReadResultsGuarded) { IsBackground = true, Name = $"ParallelKit worker {Id} results" };
            reader.Start();
            if (_rings is { } rings)
            {
                _ = WatchForEndAsync(_data!, rings);
            }
            _backend.WorkerConnected(this);
        }
    }

    public override void Run()
    {
        while (true)
        {
            List<WorkItem> batch = Batch;
            int assigned = batch.Count;
            List<WorkItem>? orphaned = null;
            List<WorkItem>? leftovers = null;
            int sent = 0;
            lock (_gate)
            {
                if (_state != Alive || _condemned)
                {
                    orphaned = [.. batch];
                }
                else
                {
                    var inFlight = new List<WorkItem>(batch.Count);
                    int countAt = BatchRecord.BeginBatch(_send);
                    foreach (WorkItem item in batch)
                    {
                        int recordAt = _send.WrittenCount;
                        int lengthAt = BatchRecord.BeginRecord(_send, item.Sequence);
                        try
                        {
                            item.WritePayload(_send, _backend.Options.MaxMessageSize - BatchRecord.HeaderSize);
                            if (item.TakeLeftover() is { } leftover)
                            {
                                (leftovers ??= []).Add(leftover);
                            }
                        }
                        catch (Exception ex)
                        {
                            _send.Truncate(recordAt);
                            item.Fail(new JobFailedException(item.Name, -1, ex.GetType().FullName ?? ex.GetType().Name,
                                $"the job's arguments could not be marshaled: {ex.Message}", ex.StackTrace, ex));
                            continue;
                        }

                        int recordSize = _send.WrittenCount - recordAt;
                        if (recordSize > _backend.Options.MaxMessageSize || _send.WrittenCount > Wire.MaxFrameLength)
                        {
                            _send.Truncate(recordAt);
                            item.Fail(JobServer.MessageTooLarge(item.Name, "arguments", recordSize, _backend.Options.MaxMessageSize));
                            continue;
                        }

                        BatchRecord.EndRecord(_send, lengthAt);
                        inFlight.Add(item);
                    }

                    sent = inFlight.Count;
                    if (sent > 0)
                    {
                        BatchRecord.EndBatch(_send, countAt, sent);
                        _inFlight = inFlight;
                        Volatile.Write(ref _reported, 0);
                        Volatile.Write(ref _batchSentAt, Environment.TickCount64);
                        ArmWatchdog(inFlight);
                        if (_rings is { } rings)
                        {
                            // False when the rings were closed: the results reader sees the death and hands the batch on.
                            _ = rings.Calls.Write(_send.WrittenSpan);
                        }
                        else
                        {
                            try
                            {
                                Wire.SendAll(_data!, _send.WrittenSpan);
                            }
                            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                            {
                                // The results reader sees the death and hands the batch on.
                            }
                        }
                    }
                }
            }

            if (leftovers is not null)
            {
                // Map items that did not fit the message: queued on their own, first.
                Dispatcher.Requeue(leftovers);
            }

            if (orphaned is not null)
            {
                // Assigned while dying: the batch goes back to the queue untouched, no attempt charged.
                Dispatcher.BatchFinished(assigned);
                _backend.Reassign(orphaned);
                return;
            }

            if (sent > 0)
            {
                if (assigned > sent)
                {
                    Dispatcher.BatchFinished(assigned - sent);
                }

                return;
            }

            Dispatcher.BatchFinished(assigned);
            if (!Dispatcher.TryAssign(this))
            {
                return;
            }
        }
    }

    public override void RequestCancel(long sequence)
    {
        SendControl(FrameHeader.Cancel(stackalloc byte[FrameHeader.MaxControlFrameSize], sequence));

        // A job that ignores its token gets a grace period, then its worker is killed (and replaced).
        _ = new CancellationGrace(this, sequence, _backend.Options.CancellationGracePeriod);
    }

    /// <summary>The grace period of a cancelled job is over: if it is still running, its worker dies.</summary>
    private void OnCancellationGraceExpired(long sequence)
    {
        WorkItem? stuck = null;
        lock (_gate)
        {
            if (_state == Alive)
            {
                for (int i = Volatile.Read(ref _reported); i < _inFlight.Count; i++)
                {
                    // A chunk of a cancelled map counts as finished (its map is), but still runs until its worker reports.
                    if (_inFlight[i].Sequence == sequence && (!_inFlight[i].IsFinished || _inFlight[i].CancellationRequested))
                    {
                        stuck = _inFlight[i];
                        _condemned = true;
                        break;
                    }
                }
            }
        }

        if (stuck is null)
        {
            return;
        }

        Diagnostics.Log.CancellationIgnored(_backend.Logger, stuck.Name, _backend.Options.CancellationGracePeriod, Id, ProcessId);
        Record(JobOutcome.Canceled, stuck.Count, 0);
        stuck.Canceled();
        KillProcess();
    }

    /// <summary>A one-shot timer for <see cref="OnCancellationGraceExpired"/>; the timer queue keeps it alive until it fires.</summary>
    private sealed class CancellationGrace : IDisposable
    {
        private readonly WorkerConnection _worker;
        private readonly long _sequence;
        private readonly Timer _timer;

        public CancellationGrace(WorkerConnection worker, long sequence, TimeSpan grace)
        {
            _worker = worker;
            _sequence = sequence;
            _timer = new Timer(static state => ((CancellationGrace)state!).Expire(), this, grace, Timeout.InfiniteTimeSpan);
        }

        public void Dispose() => _timer.Dispose();

        private void Expire()
        {
            Dispose();
            _worker.OnCancellationGraceExpired(_sequence);
        }
    }

    public override void Retire() => RequestShutdown();

    public void RequestShutdown()
    {
        bool connected;
        lock (_gate)
        {
            if (_state is Dead or ShuttingDown)
            {
                return;
            }

            connected = _state == Alive;
            _state = connected ? ShuttingDown : Dead;
        }

        if (!connected)
        {
            // Still starting: it holds no work and cannot hear a shutdown frame yet.
            KillProcess();
            return;
        }

        SendControl(FrameHeader.Empty(stackalloc byte[FrameHeader.Size], FrameType.Shutdown));
    }

    public async Task WaitForExitAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _process) is not { } process)
        {
            return;
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // Released after its exit was seen: nothing left to wait for.
        }
    }

    /// <summary>Ends the worker now; whatever it still held fails with <paramref name="reason"/>.</summary>
    public void Kill(Exception reason)
    {
        List<WorkItem> unfinished;
        lock (_gate)
        {
            _state = Dead;
            unfinished = TakeUnreported();
        }

        KillProcess();
        foreach (WorkItem item in unfinished)
        {
            if (!item.IsFinished)
            {
                item.Fail(reason);
            }
        }

        CloseChannels();
    }

    /// <summary>The worker never became usable.</summary>
    public void StartFailed(string reason)
    {
        lock (_gate)
        {
            if (_state != Starting)
            {
                return;
            }

            _state = Dead;
        }

        KillProcess();
        _backend.WorkerFailedToStart(this, reason);
    }

    private void OnExited()
    {
        if (IsStarting)
        {
            StartFailed($"exited with {WorkerLauncher.DescribeExit(ExitCodeOrNull())} before connecting");
        }
    }

    private int? ExitCodeOrNull()
    {
        try
        {
            return _process is { HasExited: true } process ? process.ExitCode : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private void SendControl(ReadOnlySpan<byte> frame)
    {
        lock (_controlGate)
        {
            try
            {
                if (_control is { } control)
                {
                    Wire.SendAll(control, frame);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // A dead worker has nothing to cancel; its death is handled by the results reader.
            }
        }
    }

    /// <summary>
    /// Hands the worker its rings (<see cref="FrameType.Rings"/>), the first frame on its data socket; null when
    /// rings are off or cannot be made here, and data frames stay on the socket.
    /// </summary>
    private WorkerRings? OfferRings(Socket socket)
    {
        if (!WorkerRings.Enabled)
        {
            return null;
        }

        WorkerRings? rings = null;
        try
        {
            rings = WorkerRings.Create();
            Wire.SendAll(socket, rings.OfferFrame());
            return rings;
        }
        catch (Exception ex) when (ex is System.IO.IOException or SocketException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            rings?.Dispose();
            if (ex is not SocketException)
            {
                Console.Error.WriteLine($"ParallelKit: worker {Id}'s shared-memory rings could not be made ({ex.Message}); its data goes over its socket.");
            }

            return null;
        }
    }

    /// <summary>
    /// With rings, nothing but the worker's death arrives on its data socket any more (and perhaps a heartbeat sent
    /// before it took the rings): its end of stream closes the rings, which ends the results reader's wait.
    /// </summary>
    private async Task WatchForEndAsync(Socket socket, WorkerRings rings)
    {
        byte[] buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false) > 0)
            {
                Volatile.Write(ref _lastHeard, Environment.TickCount64);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed here, or reset by the peer's death: either way the end.
        }

        rings.Close();
    }

    private List<WorkItem> TakeUnreported()
    {
        int reported = Volatile.Read(ref _reported);
        List<WorkItem> unfinished = reported < _inFlight.Count ? _inFlight.GetRange(reported, _inFlight.Count - reported) : [];
        _inFlight = [];
        Volatile.Write(ref _reported, 0);
        return unfinished;
    }

    /// <summary>The results thread: whatever goes wrong on it is printed, never left to end the user's process.</summary>
    private void ReadResultsGuarded()
    {
        try
        {
            ReadResults();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"ParallelKit: the results thread of worker {Id} (pid {ProcessId}) failed: {ex}");
            KillProcess();
        }
    }

    private void ReadResults()
    {
        byte[] frame = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                int length;
                FrameType type;
                try
                {
                    length = _rings is { } rings
                        ? Wire.ReceiveFrame(new RingFrameSource(rings.Results), ref frame, out type)
                        : Wire.ReceiveFrame(new SocketFrameSource(_data!), ref frame, out type);
                }
                catch (InvalidOperationException)
                {
                    length = -1;
                    type = default;
                }

                if (length < 0)
                {
                    break;
                }

                Volatile.Write(ref _lastHeard, Environment.TickCount64);
                if (type == FrameType.Results && !TryApplyResults(frame.AsSpan(0, length)))
                {
                    // A peer that breaks the protocol is treated as dead: its work moves on.
                    KillProcess();
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }

        OnDisconnected();
    }

    private bool TryApplyResults(ReadOnlySpan<byte> body)
    {
        try
        {
            return ApplyResults(body);
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidOperationException or MemoryPack.MemoryPackSerializationException)
        {
            Console.Error.WriteLine($"ParallelKit: worker {Id} (pid {ProcessId}) sent a malformed results frame: {ex.Message}");
            return false;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing thrown while completing jobs may end this thread, and with it the user's process: the worker is
            // treated as broken (its unfinished work moves on) and the cause is printed, to be reported.
            Console.Error.WriteLine($"ParallelKit: applying worker {Id}'s (pid {ProcessId}) results failed: {ex}");
            return false;
        }
    }

    /// <summary>Completes the items a results frame reports on; false on a protocol violation.</summary>
    private bool ApplyResults(ReadOnlySpan<byte> body)
    {
        var results = new ResultRecord.Reader(body);
        if (!results.IsValid)
        {
            return false;
        }

        List<WorkItem> inFlight = _inFlight;
        for (int r = 0; r < results.Count; r++)
        {
            if (!results.TryNext(out long sequence, out RecordStatus status, out long elapsed, out ReadOnlySpan<byte> payload))
            {
                return false;
            }

            int index = Volatile.Read(ref _reported);
            if (index >= inFlight.Count || inFlight[index].Sequence != sequence)
            {
                return false;
            }

            WorkItem item = inFlight[index];
            if (status == RecordStatus.Partial)
            {
                // More of the same record follows: the item stays in flight.
                int part = item.CompletePart(payload);
                if (part < 0)
                {
                    return false;
                }

                RecordCompleted(part, elapsed);
                continue;
            }

            // Stats first: whoever awaits the item may read them as soon as it completes.
            switch (status)
            {
                case RecordStatus.Ok:
                    RecordCompleted(item.Count, elapsed);
                    _backend.Costs.Observe(item.CostKey, item.Count, elapsed);
                    item.Complete(payload);
                    break;
                case RecordStatus.Canceled when item.CancellationRequested:
                    Record(JobOutcome.Canceled, item.Count, elapsed);
                    item.Canceled();
                    break;
                case RecordStatus.Canceled:
                    // Stopped by a shutdown, not by its submitter.
                    RecordFailed(item.Count, elapsed);
                    item.Fail(new ObjectDisposedException(nameof(JobServer), "The job server was disposed while the job was running."));
                    break;
                default:
                    RecordFailed(item.Count, elapsed);
                    item.Fail(RemoteError.Read(Id, payload));
                    break;
            }

            Volatile.Write(ref _reported, index + 1);
            if (index + 1 == inFlight.Count)
            {
                DisarmWatchdog();
                Dispatcher.BatchFinished(inFlight.Count);
                if (Volatile.Read(ref _state) == Alive)
                {
                    // Runs the next batch, or parks the worker, or (when it is retiring) shuts it down.
                    Dispatcher.WorkerReady(this);
                }
            }
        }

        return true;
    }

    private void OnDisconnected()
    {
        List<WorkItem> unfinished;
        bool expected;
        lock (_gate)
        {
            expected = _state is ShuttingDown or Dead;
            _state = Dead;
            unfinished = TakeUnreported();
        }

        CloseChannels();
        Dispatcher.Remove(this);
        if (unfinished.Count > 0)
        {
            Dispatcher.BatchFinished(unfinished.Count);
        }

        if (expected)
        {
            // Stopped on purpose (disposed, or retired while shrinking): what it had not run moves on, uncharged.
            _backend.Reassign(unfinished);
            if (!_backend.IsDisposed)
            {
                _process?.WaitForExit(2000);
                ReleaseAfterExit();
            }

            return;
        }

        _process?.WaitForExit(2000);
        string exit = WorkerLauncher.DescribeExit(ExitCodeOrNull());
        _backend.WorkerDied(this, unfinished, Volatile.Read(ref _killedBecause) is { } why ? $"{exit}, killed: {why}" : exit);
        ReleaseAfterExit();
    }

    /// <summary>
    /// A worker that is gone keeps only its statistics: its send buffer and process handle go now, not at
    /// server disposal, so a server whose workers often die does not accumulate them.
    /// </summary>
    private void ReleaseAfterExit()
    {
        if (_backend.IsDisposed)
        {
            return; // DisposeAsync waits on the process handles and releases everything itself.
        }

        _watchdog?.Dispose();
        _startTimer?.Dispose();
        lock (_gate)
        {
            _send.Dispose();
            _rings?.Dispose();
        }

        Interlocked.Exchange(ref _process, null)?.Dispose();
    }

    /// <summary>
    /// With a job timeout (the server's, or one given at submit), a batch gets a deadline: its one job's
    /// timeout, or a chunk's timeout per item. Caller holds the gate.
    /// </summary>
    private void ArmWatchdog(List<WorkItem> batch)
    {
        long ticks = 0;
        foreach (WorkItem item in batch)
        {
            if (item.LimitOr(_backend.Options.JobTimeout) is not { } limit)
            {
                return;
            }

            ticks += Math.Min(limit.Ticks, TimeSpan.FromDays(1).Ticks) * item.Count;
        }

        long generation = ++_batchGeneration;
        _watchdog ??= new Timer(static state => ((WorkerConnection)state!).OnDeadline(), this, Timeout.Infinite, Timeout.Infinite);
        _watchdogGeneration = generation;
        _watchdog.Change(TimeSpan.FromTicks(Math.Min(ticks, TimeSpan.FromDays(24).Ticks)), Timeout.InfiniteTimeSpan);
    }

    private void DisarmWatchdog()
    {
        if (_watchdog is null)
        {
            return;
        }

        lock (_gate)
        {
            _watchdogGeneration = 0;
            _watchdog.Change(Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>The batch outlived its deadline: fail the job that is running and kill the worker (it is replaced).</summary>
    private void OnDeadline()
    {
        WorkItem? late = null;
        lock (_gate)
        {
            int reported = Volatile.Read(ref _reported);
            if (_state == Alive && _watchdogGeneration != 0 && _watchdogGeneration == _batchGeneration && reported < _inFlight.Count
                && !_inFlight[reported].IsFinished)
            {
                late = _inFlight[reported];

                // From here on the worker takes no new batch: it is about to be killed.
                _condemned = true;
            }
        }

        if (late is null)
        {
            return;
        }

        TimeSpan limit = late.LimitOr(_backend.Options.JobTimeout)!.Value;
        Diagnostics.Log.JobTimedOut(_backend.Logger, late.Name, limit, Id, ProcessId);
        Record(JobOutcome.TimedOut, late.Count, limit.Ticks);
        late.Fail(new JobTimeoutException(late.Name, Id, limit));
        KillProcess();
    }

    /// <summary>Kills the worker process; the results reader then handles its death (unfinished work moves on, a replacement starts).</summary>
    private void KillProcess() => NativeProcess.KillTree(Volatile.Read(ref _process));

    /// <summary>
    /// Kills the worker if it holds unfinished work and has sent nothing — not even the heartbeat its control
    /// thread sends whatever its jobs do — for <paramref name="timeoutMilliseconds"/> since its batch went out:
    /// it is stopped or wedged. Its jobs are then handled as a crash's.
    /// </summary>
    public void CheckHeartbeat(long now, long timeoutMilliseconds)
    {
        long silent;
        lock (_gate)
        {
            if (_state != Alive || _condemned || Volatile.Read(ref _reported) >= _inFlight.Count)
            {
                return;
            }

            silent = now - Math.Max(Volatile.Read(ref _lastHeard), Volatile.Read(ref _batchSentAt));
            if (silent < timeoutMilliseconds)
            {
                return;
            }

            _condemned = true;
        }

        string why = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"no heartbeat for {silent / 1000.0:F1} s (the process was stopped or hung)");
        Volatile.Write(ref _killedBecause, why);
        Diagnostics.Log.WorkerHung(_backend.Logger, Id, ProcessId, why);
        KillProcess();
    }

    /// <summary>Releases the channels, the send buffer and the process handle; the process must have exited.</summary>
    public void Dispose()
    {
        _watchdog?.Dispose();
        _startTimer?.Dispose();
        CloseChannels();
        lock (_gate)
        {
            _send.Dispose();
            _rings?.Dispose();
        }

        _process?.Dispose();
    }

    private void CloseChannels()
    {
        lock (_controlGate)
        {
            _rings?.Close();
            _data?.Dispose();
            _control?.Dispose();
        }
    }
}
