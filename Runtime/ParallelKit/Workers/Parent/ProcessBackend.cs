using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Ipc;
using ParallelKit.Scheduling;

namespace ParallelKit.Workers;

/// <summary>
/// Runs jobs in worker processes: this executable relaunched, connected back over a private Unix domain
/// socket (a 0700 directory, the socket 0600), authenticated by a per-server secret.
/// </summary>
internal sealed class ProcessBackend : JobBackendCore
{
    private readonly object _gate = new();
    private readonly List<WorkerConnection> _workers = [];
    private readonly WorkerListener _listener;
    private int _nextWorkerId;
    private long _restarts;
    private int _connectedEver;
    private int _failedStarts;

    /// <summary>
    /// Consecutive failed starts (with no worker left serving) after which the server refuses work until a
    /// worker connects again; it keeps trying to start one meanwhile.
    /// </summary>
    private const int MaxFailedStarts = 5;

    /// <summary>The longest wait between two tries to start a worker while starts keep failing.</summary>
    internal static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(10);

    /// <summary>The longest encoded worker initializer (its environment variable's share of Linux's 128 KiB).</summary>
    private const int MaxInitializerLength = 100_000;
    private bool _disposed;
    private readonly Timer? _heartbeatCheck;
    private long _lastHeartbeatCheck;

    // The worker initializer's marshaled call (base64), given to every worker in its environment.
    private readonly string? _initializer;

    public ProcessBackend(JobServerOptions options)
        : base(options)
    {
        WorkerLauncher.EnsureEntryPoint();
        Internal.MarshalingWarmup.Start();
        _initializer = options.WorkerInitializer is { } initializer ? WorkerInitializer.Encode(initializer) : null;
        if (_initializer is { Length: > MaxInitializerLength })
        {
            // It travels in each worker's environment, where one variable holds at most 128 KiB on Linux.
            throw new ArgumentException(
                $"The worker initializer's arguments take {_initializer.Length:N0} bytes encoded, more than the {MaxInitializerLength:N0} a worker's environment carries: pass a path or a shared object's handle instead of the data.",
                nameof(options));
        }

        // A worker recycled after MaxJobsPerWorker items is replaced at once; that is routine, not a restart.
        Dispatcher.ReplaceWorker = _ => StartWorker();
        _listener = new WorkerListener(Admit);
        for (int i = 0; i < options.Workers; i++)
        {
            StartWorker();
        }

        if (options.HeartbeatMilliseconds > 0)
        {
            _heartbeatCheck = new Timer(static state => ((ProcessBackend)state!).CheckHeartbeats(), this, options.HeartbeatMilliseconds, options.HeartbeatMilliseconds);
        }
    }

    /// <summary>Kills busy workers that have gone silent for <see cref="JobServerOptions.HeartbeatTimeout"/>.</summary>
    private void CheckHeartbeats()
    {
        // This process itself may have been paused (a debugger's breakpoint, SIGSTOP, a long GC): the workers'
        // heartbeats then wait unread in the sockets, and judging now would kill them all. Skip a late round;
        // by the next one the results readers have caught up.
        long now = Environment.TickCount64;
        long previous = Interlocked.Exchange(ref _lastHeartbeatCheck, now);
        if (previous != 0 && now - previous > 3L * Options.HeartbeatMilliseconds)
        {
            return;
        }

        WorkerConnection[] workers;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            workers = [.. _workers.Where(w => w.IsAlive)];
        }

        long timeout = (long)Options.HeartbeatTimeout.TotalMilliseconds;
        foreach (WorkerConnection worker in workers)
        {
            worker.CheckHeartbeat(now, timeout);
        }
    }

    public override bool MarshalsCalls => true;

    public override JobBackend Kind => JobBackend.Processes;

    public override IReadOnlyList<WorkerSlot> AllWorkers => Snapshot(_gate, _workers);


    public override long Restarts => Interlocked.Read(ref _restarts);

    public override void Resize(int workers)
    {
        List<WorkerConnection> serving;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            serving = [.. _workers.Where(IsServing)];
        }

        Dispatcher.WorkerCount = workers;
        Diagnostics.Log.Resized(Logger, workers);
        for (int i = serving.Count; i < workers; i++)
        {
            StartWorker();
        }

        int excess = serving.Count - workers;
        if (excess <= 0)
        {
            return;
        }

        // Idle workers stop at once, then workers still starting (they hold no work), then busy ones after their batch.
        Dispatcher.Retire([.. serving.OrderByDescending(w => w.IsStarting)], excess);
        foreach (WorkerConnection starting in serving.Where(w => w.Retiring && w.IsStarting))
        {
            starting.RequestShutdown();
        }
    }

    /// <summary>Alive or starting, and not on its way out.</summary>
    private static bool IsServing(WorkerConnection worker) => (worker.IsAlive || worker.IsStarting) && !worker.Retiring;

    private WorkerConnection? StartWorker()
    {
        WorkerConnection worker;
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            worker = new WorkerConnection(_nextWorkerId++, this);
            _workers.Add(worker);
        }

        try
        {
            worker.Start(WorkerLauncher.CreateStartInfo(_listener.Endpoint, _listener.TokenHex, worker.Id, WorkerEnvironment.ServerMode, Options.MaxMessageSize, Options.HeartbeatMilliseconds, _initializer));
            Diagnostics.Log.WorkerStarted(Logger, worker.Id, worker.ProcessId);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            worker.StartFailed($"it could not be started: {ex.Message}");
        }

        return worker;
    }

    private Action<Socket>? Admit(WorkerHello hello)
    {
        WorkerConnection? worker;
        lock (_gate)
        {
            worker = _workers.FirstOrDefault(w => w.Id == hello.WorkerId);
        }

        if (worker is null || worker.ProcessId != hello.ProcessId)
        {
            return null;
        }

        if (!hello.SameBuild)
        {
            worker.StartFailed("it runs a different build of the executable than this process (module version ids differ)");
            return null;
        }

        return socket => worker.Attach(hello.Channel, socket);
    }

    /// <summary>A worker connected both channels and is ready for work.</summary>
    internal void WorkerConnected(WorkerConnection worker)
    {
        Diagnostics.Log.WorkerConnected(Logger, worker.Id, worker.ProcessId);
        Interlocked.Exchange(ref _connectedEver, 1);
        if (Interlocked.Exchange(ref _failedStarts, 0) != 0 && Dispatcher.IsSuspended)
        {
            Diagnostics.Log.ServingAgain(Logger, worker.Id);
            Dispatcher.Resume();
        }

        Dispatcher.WorkerReady(worker);
    }

    /// <summary>
    /// A worker process ended without being asked to: its <paramref name="unfinished"/> items (of the batch
    /// <paramref name="lease"/> holds, if it had one) go to other workers (up to <see cref="JobServerOptions.MaxAttempts"/>)
    /// or fail, and a replacement starts.
    /// </summary>
    internal void WorkerDied(WorkerConnection worker, Dispatcher.BatchLease? lease, IReadOnlyList<WorkItem> unfinished, string exit)
    {
        Dispatcher.Remove(worker);
        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
        }

        (int retried, int failed) = lease?.Lost(unfinished, disposed, item =>
        {
            worker.Record(JobOutcome.Crashed, item.Count, 0);
            return new JobFailedException(item.Name, worker.Id, JobFailedException.WorkerCrashed,
                $"worker process {worker.ProcessId} exited unexpectedly with {exit} while running the job (attempt {item.Attempts} of {Options.MaxAttempts}{(item.IsRetryable ? string.Empty : "; the job is [ParallelJob(Retry = false)]")})",
                remoteStackTrace: null);
        }) ?? (0, 0);

        if (!disposed)
        {
            Diagnostics.Log.WorkerDied(Logger, worker.Id, worker.ProcessId, exit, retried, failed);
        }

        int serving;
        lock (_gate)
        {
            serving = _workers.Count(w => w != worker && IsServing(w));
        }

        // Retried work is queued already (first in line): an idle worker can take it while the replacement starts.
        if (!disposed && serving < Dispatcher.WorkerCount)
        {
            Interlocked.Increment(ref _restarts);
            Diagnostics.Telemetry.WorkerRestarts.Add(1);
            StartWorker();
        }
    }

    /// <summary>
    /// A worker process never connected. It is replaced, with a growing delay (capped at
    /// <see cref="MaxRestartDelay"/>). A server that never had a worker gives up at once when none is left
    /// that could serve (its executable cannot serve as a worker: the reason will not go away); one that has
    /// served keeps trying for good, and while starts keep failing with none serving it fails its queued and
    /// new work with the reason at once, until a worker connects again.
    /// </summary>
    internal void WorkerFailedToStart(WorkerConnection worker, string reason)
    {
        if (IsDisposed)
        {
            return;
        }

        int failures = Interlocked.Increment(ref _failedStarts);
        bool anyServing;
        lock (_gate)
        {
            anyServing = _workers.Any(w => w != worker && (w.IsAlive || w.IsStarting));
        }

        bool neverConnected = Volatile.Read(ref _connectedEver) == 0;
        Diagnostics.Log.WorkerStartFailed(Logger, worker.Id, worker.ProcessId, reason);
        string message = $"No ParallelKit worker process could start: worker {worker.Id} {reason}. Its output, if any, is above.";
        if (!anyServing && neverConnected)
        {
            Diagnostics.Log.GaveUp(Logger, message);
            Dispatcher.Close(new InvalidOperationException(message));
            return;
        }

        if (!anyServing && failures >= MaxFailedStarts && !Dispatcher.IsSuspended)
        {
            Diagnostics.Log.GaveUp(Logger, message + " The server keeps trying, and serves again once a worker starts.");
            Dispatcher.Suspend(new InvalidOperationException(message + " The server keeps trying to start workers."));
        }

        if (!neverConnected)
        {
            // Replace it (a worker that died already counted its restart); back off while starts keep failing.
            var delay = TimeSpan.FromMilliseconds(Math.Min(MaxRestartDelay.TotalMilliseconds, 100 * (1 << Math.Min(failures, 10))));
            _ = Task.Delay(delay).ContinueWith(_ => ReplaceIfShort(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private void ReplaceIfShort()
    {
        int serving;
        lock (_gate)
        {
            serving = _workers.Count(IsServing);
        }

        if (serving < Dispatcher.WorkerCount)
        {
            StartWorker();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        if (_heartbeatCheck is not null)
        {
            await _heartbeatCheck.DisposeAsync().ConfigureAwait(false);
        }

        Dispatcher.Close(new ObjectDisposedException(nameof(JobServer), "The job server was disposed before the job ran."));
        Diagnostics.Telemetry.ServerStopped(Dispatcher);
        WorkerConnection[] workers;
        lock (_gate)
        {
            workers = [.. _workers];
        }

        foreach (WorkerConnection worker in workers)
        {
            worker.RequestShutdown();
        }

        using (var grace = new CancellationTokenSource(Options.ShutdownTimeout))
        {
            try
            {
                await Task.WhenAll(workers.Select(w => w.WaitForExitAsync(grace.Token))).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Killed below.
            }
        }

        var abandoned = new ObjectDisposedException(nameof(JobServer),
            "The job server was disposed while the job was running, and the job did not finish within the shutdown timeout.");
        foreach (WorkerConnection worker in workers)
        {
            worker.Kill(abandoned);
        }

        await Task.WhenAll(workers.Select(w => w.WaitForExitAsync(CancellationToken.None))).ConfigureAwait(false);
        foreach (WorkerConnection worker in workers)
        {
            worker.Dispose();
        }

        _listener.Dispose();
    }

    internal bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _disposed;
            }
        }
    }
}
