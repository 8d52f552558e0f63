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

/// <summary>
/// The parent's handle on one worker process: its two channels, its batches in flight, its death. Its deadlines
/// (watchdog, cancellation grace, heartbeat) are kept apart, in <see cref="WorkerDeadlines"/>.
/// </summary>
/// <remarks>
/// A worker holds at most two batches: the one it runs and, behind it in its calls ring, the one it runs next (sent
/// only while the running one is known to be short, see <see cref="CostModel.IsShort"/>, so that a worker does not
/// wait a round trip between two short batches, yet never sits on work another worker could start). Results name
/// their record by sequence and come back in the order the records were sent; deadlines judge the running batch
/// only. When the worker dies, the running batch's unreported items are lost (retried or failed, see
/// <see cref="Dispatcher.BatchLease.Lost"/>) and the batch behind it, which it never started, goes back to the queue
/// uncharged.
/// </remarks>
internal sealed class WorkerConnection : WorkerSlot, IDisposable
{
    private readonly ProcessBackend _backend;
    private readonly WorkerDeadlines _deadlines;
    private readonly object _gate = new();
    private readonly object _controlGate = new();

    // Held while a batch frame is written (which may wait for the worker to make room): not the gate, which deadlines
    // and kills need meanwhile. Also guards the send buffer and the rings' disposal.
    private readonly object _writeGate = new();
    private readonly FrameBuffer _send = new(64 * 1024);

    // The batch the worker runs and the one sent behind it; changed under the gate, _running also read by the results
    // thread without it (which alone completes batches).
    private SentBatch? _running;
    private SentBatch? _queued;

    // Batches handed to this worker and not finished, with a claim on a second one being leased: 0, 1 or 2.
    private int _batches;

    // Whether a second batch may be sent behind a short running one (PARALLELKIT_WORKER_PREFETCH=0 turns it off).
    private readonly bool _prefetch;
    private Process? _process;
    private Socket? _data;

    // The data channel in shared memory (null: data frames go over _data); see WorkerRings.
    private WorkerRings? _rings;
    private Socket? _control;
    private int _pid = -1;
    private int _state; // a WorkerLifecycle, read and written whole (see State)
    private Timer? _startTimer;
    private bool _condemned;
    private int _disconnected;

    /// <summary>How long a started worker may take to connect.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public WorkerConnection(int id, ProcessBackend backend)
        : base(id, backend.Dispatcher)
    {
        _backend = backend;
        _deadlines = new WorkerDeadlines(this, _gate, backend);
        _prefetch = !string.Equals(Environment.GetEnvironmentVariable(PrefetchVariable), "0", StringComparison.Ordinal);
    }

    /// <summary>Set to <c>0</c> (in the parent, when the server starts) to send a worker one batch at a time.</summary>
    public const string PrefetchVariable = "PARALLELKIT_WORKER_PREFETCH";

    public override int ProcessId => Volatile.Read(ref _pid);

    public override bool IsAlive => State == WorkerLifecycle.Alive;

    public override bool IsStarting => State == WorkerLifecycle.Starting;

    /// <summary>Where the worker stands; changed under the gate, read anywhere.</summary>
    private WorkerLifecycle State
    {
        get => (WorkerLifecycle)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>
    /// The items of the running batch the worker has not reported on yet, the one it runs now first (not those of the
    /// batch behind it); empty unless it is alive. Caller holds the gate (<see cref="WorkerDeadlines"/> judges them).
    /// </summary>
    internal ReadOnlySpan<WorkItem> Unreported
        => State == WorkerLifecycle.Alive && _running is { } running ? running.Unreported : default;

    /// <summary>Whether record <paramref name="sequence"/> is in the batch sent behind the running one (not started yet). Caller holds the gate.</summary>
    internal bool IsQueued(long sequence)
    {
        if (State != WorkerLifecycle.Alive || _queued is not { } queued)
        {
            return false;
        }

        foreach (WorkItem item in queued.Items)
        {
            if (item.Sequence == sequence)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a deadline has doomed the worker (see <see cref="Condemn"/>). Caller holds the gate.</summary>
    internal bool IsCondemned => _condemned;

    /// <summary>A deadline is about to kill the worker: from here on it takes no new batch. Caller holds the gate.</summary>
    internal void Condemn() => _condemned = true;

    /// <summary>Kills the worker if it holds unfinished work and has been silent too long (see <see cref="WorkerDeadlines.CheckHeartbeat"/>).</summary>
    public void CheckHeartbeat(long now, long timeoutMilliseconds) => _deadlines.CheckHeartbeat(now, timeoutMilliseconds);

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

        if (State == WorkerLifecycle.Dead)
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
            if (State != WorkerLifecycle.Starting || (channel == Channel.Data ? _data : _control) is not null)
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
                State = WorkerLifecycle.Alive;
            }
        }

        if (ready)
        {
            _startTimer?.Dispose();
            var reader = new Thread(ReadResultsGuarded) { IsBackground = true, Name = $"ParallelKit worker {Id} results" };
            reader.Start();
            if (_rings is { } rings)
            {
                // Its own thread (a small stack, blocked in the kernel): a death must be noticed even when the user's
                // code has every thread-pool thread blocked.
                var watcher = new Thread(() => WatchForEnd(_data!, rings), 64 * 1024) { IsBackground = true, Name = $"ParallelKit worker {Id} socket" };
                watcher.Start();
            }
            _backend.WorkerConnected(this);
        }
    }

    public override void Run(Dispatcher.BatchLease lease)
    {
        // The dispatcher hands a batch this way only to a worker that holds none (idle, or asking for more).
        Interlocked.Increment(ref _batches);
        Send(lease);
    }

    /// <summary>
    /// Sends <paramref name="lease"/>'s batch (counted in <see cref="_batches"/> already): it runs at once, or next when
    /// another is running. Then, while the batch running is short, leases and sends the one behind it.
    /// </summary>
    private void Send(Dispatcher.BatchLease lease)
    {
        while (true)
        {
            IReadOnlyList<WorkItem> batch = lease.Items;
            bool orphaned = false;
            List<WorkItem>? leftovers = null;
            int sent = 0;
            bool written = true;
            bool noRoom = false;
            bool behind = false;
            lock (_writeGate)
            {
                sent = BuildBatchFrame(lease, ref leftovers, out orphaned, out behind);

                // Written outside the gate: a worker slow to make room (stopped, say) must not keep its deadlines from
                // killing it.
                if (sent > 0)
                {
                    written = WriteBatchFrame(lease, behind, out noRoom);
                }
            }

            if (!written)
            {
                KillProcess();
            }

            if (leftovers is not null)
            {
                // Map items that did not fit the message: queued on their own, first.
                Dispatcher.Requeue(leftovers);
            }

            if (orphaned || noRoom)
            {
                // Assigned while dying, or no room behind the running batch: the batch goes back to the queue untouched,
                // no attempt charged.
                lease.ReturnUnrun(batch, _backend.IsDisposed);
                BatchEnded();
                return;
            }

            Dispatcher.BatchLease? next;
            if (sent == 0)
            {
                // Every item failed on the lease: the worker takes the next batch if it holds no other.
                if (BatchEnded() > 0 || !Dispatcher.TryAssign(this, out next))
                {
                    return;
                }

                Interlocked.Increment(ref _batches);
            }
            else if (behind || (next = LeaseNext()) is null)
            {
                return;
            }

            lease = next;
        }
    }

    /// <summary>One batch handed to this worker is over (reported, or never sent); returns how many it still holds.</summary>
    private int BatchEnded() => Interlocked.Decrement(ref _batches);

    /// <summary>
    /// Leases the batch to send behind the running one, when the running one is short and nothing else is behind it;
    /// <see langword="null"/> otherwise. Only over rings (a socket write could wait for the worker, which waits for
    /// the results this thread may have to read).
    /// </summary>
    private Dispatcher.BatchLease? LeaseNext()
    {
        if (!_prefetch || _rings is null || !Dispatcher.MayHaveQueuedWork
            || Volatile.Read(ref _running) is not { } running || !_backend.Costs.IsShort(running.Items))
        {
            return null;
        }

        // The claim on a second batch: only one thread makes it, and only while exactly one batch is held.
        if (Interlocked.CompareExchange(ref _batches, 2, 1) != 1)
        {
            return null;
        }

        if (Dispatcher.TryLeaseNext(this, out Dispatcher.BatchLease? next))
        {
            return next;
        }

        if (BatchEnded() == 0 && State == WorkerLifecycle.Alive)
        {
            // The running batch ended while the claim was held: its results thread left asking for more to this thread.
            Dispatcher.WorkerReady(this);
        }

        return null;
    }

    /// <summary>
    /// Writes <paramref name="lease"/>'s batch into the send buffer and makes it the running batch, or the one behind it
    /// (<paramref name="behind"/>) when another is running; items that cannot be sent fail on the lease. Returns how
    /// many records the frame holds (0: none, or the worker is dying, then <paramref name="orphaned"/>). Caller holds
    /// the write gate.
    /// </summary>
    private int BuildBatchFrame(Dispatcher.BatchLease lease, ref List<WorkItem>? leftovers, out bool orphaned, out bool behind)
    {
        IReadOnlyList<WorkItem> batch = lease.Items;
        orphaned = false;
        behind = false;
        int sent = 0;
        lock (_gate)
        {
            if (State != WorkerLifecycle.Alive || _condemned)
            {
                orphaned = true;
                return 0;
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
                        lease.Fail(item, new JobFailedException(item.Name, -1, ex.GetType().FullName ?? ex.GetType().Name,
                            $"the job's arguments could not be marshaled: {ex.Message}", ex.StackTrace, ex));
                        continue;
                    }

                    int recordSize = _send.WrittenCount - recordAt;
                    if (recordSize > _backend.Options.MaxMessageSize || _send.WrittenCount > Wire.MaxFrameLength)
                    {
                        _send.Truncate(recordAt);
                        lease.Fail(item, JobServer.MessageTooLarge(item.Name, "arguments", recordSize, _backend.Options.MaxMessageSize));
                        continue;
                    }

                    BatchRecord.EndRecord(_send, lengthAt);
                    inFlight.Add(item);
                }

                sent = inFlight.Count;
                if (sent > 0)
                {
                    BatchRecord.EndBatch(_send, countAt, sent);
                    var sentBatch = new SentBatch(lease, inFlight);
                    if (_running is null)
                    {
                        Volatile.Write(ref _running, sentBatch);
                        _deadlines.BatchStarted(inFlight);
                    }
                    else
                    {
                        // Its deadlines start when the running batch is over and it runs (see FinishRunning).
                        _queued = sentBatch;
                        behind = true;
                    }
                }
            }
        }

        return sent;
    }

    /// <summary>
    /// Sends the frame in the send buffer: false when the rings were closed (the results reader sees the death and hands
    /// the batch on) or the worker broke them (it is then killed, and that is the death). A frame sent
    /// <paramref name="behind"/> a running batch goes in whole at once or not at all (<paramref name="noRoom"/>, and
    /// <paramref name="lease"/>'s batch is no longer the worker's): waiting for room would wait for the worker to
    /// finish the running batch, whose results this thread may be the one to read. Caller holds the write gate.
    /// </summary>
    private bool WriteBatchFrame(Dispatcher.BatchLease lease, bool behind, out bool noRoom)
    {
        noRoom = false;
        if (_rings is { } rings)
        {
            if (!behind)
            {
                return rings.Calls.Write(_send.WrittenSpan);
            }

            if (rings.Calls.TryWrite(_send.WrittenSpan, out bool closed))
            {
                return true;
            }

            if (closed)
            {
                return false;
            }

            lock (_gate)
            {
                if (_queued?.Lease == lease)
                {
                    _queued = null;
                    noRoom = true;
                    return true;
                }
            }

            // The running batch ended meanwhile and this one runs now: the worker, idle, makes room.
            return rings.Calls.Write(_send.WrittenSpan);
        }

        try
        {
            Wire.SendAll(_data!, _send.WrittenSpan);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The results reader sees the death and hands the batch on.
        }

        return true;
    }

    public override void RequestCancel(long sequence)
    {
        SendControl(FrameHeader.Cancel(stackalloc byte[FrameHeader.MaxControlFrameSize], sequence));

        // A job that ignores its token gets a grace period, then its worker is killed (and replaced).
        _deadlines.StartCancellationGrace(sequence);
    }

    public override void Retire() => RequestShutdown();

    public void RequestShutdown()
    {
        bool connected;
        lock (_gate)
        {
            if (State is WorkerLifecycle.Dead or WorkerLifecycle.ShuttingDown)
            {
                return;
            }

            connected = State == WorkerLifecycle.Alive;
            State = connected ? WorkerLifecycle.ShuttingDown : WorkerLifecycle.Dead;
        }

        if (!connected)
        {
            // Still starting: it holds no work and cannot hear a shutdown frame yet.
            KillProcess();
            ReleaseUnconnected();
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
        // First, so that a write waiting for the worker (holding the write gate) ends now.
        KillProcess();
        _rings?.Close();
        SentBatch? running;
        SentBatch? queued;
        lock (_gate)
        {
            State = WorkerLifecycle.Dead;
            (running, queued) = TakeBatches();
        }

        KillProcess();

        // What it reported is released already: the rest is what it held.
        running?.Lease.Abandon(reason);
        queued?.Lease.Abandon(reason);

        CloseChannels();
    }

    /// <summary>The worker never became usable.</summary>
    public void StartFailed(string reason)
    {
        lock (_gate)
        {
            if (State != WorkerLifecycle.Starting)
            {
                return;
            }

            State = WorkerLifecycle.Dead;
        }

        KillProcess();
        ReleaseUnconnected();
        _backend.WorkerFailedToStart(this, reason);
    }

    /// <summary>
    /// A worker that never became alive may have connected its data socket (and got its rings) but not its control
    /// socket: with no results thread to release them at its end, they go now.
    /// </summary>
    private void ReleaseUnconnected()
    {
        lock (_controlGate)
        {
            _data?.Dispose();
            _control?.Dispose();
        }

        lock (_writeGate)
        {
            _rings?.Dispose();
        }
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
    private void WatchForEnd(Socket socket, WorkerRings rings)
    {
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            while (socket.Receive(buffer, SocketFlags.None) > 0)
            {
                _deadlines.Heard();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed here, or reset by the peer's death: either way the end.
        }
        finally
        {
            rings.Close();
        }
    }

    /// <summary>Takes the running batch and the one behind it, if any; caller holds the gate.</summary>
    private (SentBatch? Running, SentBatch? Queued) TakeBatches()
    {
        SentBatch? running = _running;
        SentBatch? queued = _queued;
        Volatile.Write(ref _running, null);
        _queued = null;
        return (running, queued);
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
            if (Volatile.Read(ref _disconnected) == 0)
            {
                try
                {
                    // Its work must still move on, and its slot and rings be released.
                    OnDisconnected();
                }
                catch (Exception again) when (again is not OutOfMemoryException)
                {
                    Console.Error.WriteLine($"ParallelKit: releasing worker {Id} (pid {ProcessId}) failed: {again}");
                }
            }
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
                catch (ObjectDisposedException)
                {
                    length = -1; // closed here: the server is going
                    type = default;
                }
                catch (InvalidOperationException ex)
                {
                    // A corrupt stream (an impossible length or ring position) is a broken peer: treated as dead.
                    Console.Error.WriteLine($"ParallelKit: worker {Id} (pid {ProcessId}) broke the protocol: {ex.Message}");
                    KillProcess();
                    length = -1;
                    type = default;
                }

                if (length < 0)
                {
                    break;
                }

                _deadlines.Heard();
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

        SentBatch? batch = Volatile.Read(ref _running);
        for (int r = 0; r < results.Count; r++)
        {
            if (!results.TryNext(out long sequence, out RecordStatus status, out long elapsed, out ReadOnlySpan<byte> payload))
            {
                return false;
            }

            // Records come back in the order they were sent: this one is the running batch's next.
            if (batch is null || batch.Next is not { } item || item.Sequence != sequence)
            {
                return false;
            }

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

            batch.Lease.Done(item);
            if (batch.Reported())
            {
                FinishRunning(batch);
                batch = Volatile.Read(ref _running);
            }
        }

        return true;
    }

    /// <summary>
    /// The worker reported the whole of <paramref name="finished"/>, the running batch: the one behind it runs now (its
    /// deadlines start, and a next one may be sent behind it), or, with none, the worker asks for more. Results thread.
    /// </summary>
    private void FinishRunning(SentBatch finished)
    {
        SentBatch? promoted = null;
        lock (_gate)
        {
            if (_running != finished)
            {
                return; // taken by a death meanwhile
            }

            promoted = _queued;
            _queued = null;
            Volatile.Write(ref _running, promoted);
            if (promoted is not null)
            {
                _deadlines.BatchStarted(promoted.Items);
            }
            else
            {
                _deadlines.BatchDone();
            }
        }

        int held = BatchEnded();
        if (State != WorkerLifecycle.Alive)
        {
            return;
        }

        if (promoted is not null)
        {
            if (LeaseNext() is { } next)
            {
                Send(next);
            }
        }
        else if (held == 0)
        {
            // Runs the next batch, or parks the worker, or (when it is retiring) shuts it down. (With a batch still
            // held, a claim on one being leased, the thread that made it sends it, or asks for more.)
            Dispatcher.WorkerReady(this);
        }
    }

    private void OnDisconnected()
    {
        if (Interlocked.Exchange(ref _disconnected, 1) != 0)
        {
            return;
        }

        SentBatch? running;
        SentBatch? queued;
        bool expected;
        lock (_gate)
        {
            expected = State is WorkerLifecycle.ShuttingDown or WorkerLifecycle.Dead;
            State = WorkerLifecycle.Dead;
            (running, queued) = TakeBatches();
        }

        CloseChannels();
        Dispatcher.Remove(this);

        // The batch behind the running one never started (the worker sends a batch's last result before it reads the
        // next, and every result it published was read before the end): back to the queue, uncharged, whatever the death.
        queued?.Lease.ReturnUnrun(queued.Items, _backend.IsDisposed);
        IReadOnlyList<WorkItem> unfinished = running is null ? [] : running.Unreported.ToArray();
        Dispatcher.BatchLease? lease = running?.Lease;
        if (expected)
        {
            // Stopped on purpose (disposed, or retired while shrinking): what it had not run moves on, uncharged.
            lease?.ReturnUnrun(unfinished, _backend.IsDisposed);
            if (!_backend.IsDisposed)
            {
                _process?.WaitForExit(2000);
                ReleaseAfterExit();
            }

            return;
        }

        _process?.WaitForExit(2000);
        string exit = WorkerLauncher.DescribeExit(ExitCodeOrNull());
        _backend.WorkerDied(this, lease, unfinished, _deadlines.KilledBecause is { } why ? $"{exit}, killed: {why}" : exit);
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

        _deadlines.Dispose();
        _startTimer?.Dispose();
        lock (_writeGate)
        {
            _send.Dispose();
            _rings?.Dispose();
        }

        Interlocked.Exchange(ref _process, null)?.Dispose();
    }

    /// <summary>Kills the worker process; the results reader then handles its death (unfinished work moves on, a replacement starts).</summary>
    internal void KillProcess() => NativeProcess.KillTree(Volatile.Read(ref _process));

    /// <summary>Releases the channels, the send buffer and the process handle; the process must have exited.</summary>
    public void Dispose()
    {
        _deadlines.Dispose();
        _startTimer?.Dispose();
        CloseChannels();
        lock (_writeGate)
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

    /// <summary>One batch frame sent to the worker: its lease, the records it carries in order, and how many the worker reported.</summary>
    private sealed class SentBatch(Dispatcher.BatchLease lease, List<WorkItem> items)
    {
        private int _reported;

        public Dispatcher.BatchLease Lease { get; } = lease;

        public List<WorkItem> Items { get; } = items;

        /// <summary>The record the worker reports on next; <see langword="null"/> once all are reported.</summary>
        public WorkItem? Next
        {
            get
            {
                int reported = Volatile.Read(ref _reported);
                return reported < Items.Count ? Items[reported] : null;
            }
        }

        /// <summary>The records not reported yet, the one running first.</summary>
        public ReadOnlySpan<WorkItem> Unreported
            => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Items)[Math.Min(Volatile.Read(ref _reported), Items.Count)..];

        /// <summary>The next record is reported (results thread only); <see langword="true"/> when it was the last.</summary>
        public bool Reported()
        {
            int reported = Volatile.Read(ref _reported) + 1;
            Volatile.Write(ref _reported, reported);
            return reported == Items.Count;
        }
    }
}
