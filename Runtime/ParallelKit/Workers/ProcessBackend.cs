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
    private readonly List<ProcessWorker> _workers = [];
    private readonly WorkerListener _listener;
    private int _nextWorkerId;
    private long _retries;
    private long _restarts;
    private int _connectedEver;
    private int _failedStarts;

    /// <summary>Consecutive failed starts (with no worker left serving) after which the server gives up.</summary>
    private const int MaxFailedStarts = 5;
    private bool _disposed;

    public ProcessBackend(JobServerOptions options)
        : base(options)
    {
        WorkerLauncher.EnsureEntryPoint();
        Internal.MarshalingWarmup.Start();
        _listener = new WorkerListener(Admit);
        for (int i = 0; i < options.Workers; i++)
        {
            StartWorker();
        }
    }

    public override bool MarshalsCalls => true;

    public override JobBackend Kind => JobBackend.Processes;

    public override IReadOnlyList<WorkerSlot> AllWorkers
    {
        get
        {
            lock (_gate)
            {
                return [.. _workers];
            }
        }
    }

    public override long Retries => Interlocked.Read(ref _retries);

    public override long Restarts => Interlocked.Read(ref _restarts);

    public override void Resize(int workers)
    {
        List<ProcessWorker> serving;
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
        foreach (ProcessWorker starting in serving.Where(w => w.Retiring && w.IsStarting))
        {
            starting.RequestShutdown();
        }
    }

    /// <summary>Alive or starting, and not on its way out.</summary>
    private static bool IsServing(ProcessWorker worker) => (worker.IsAlive || worker.IsStarting) && !worker.Retiring;

    private ProcessWorker? StartWorker()
    {
        ProcessWorker worker;
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            worker = new ProcessWorker(_nextWorkerId++, this);
            _workers.Add(worker);
        }

        try
        {
            worker.Start(WorkerLauncher.CreateStartInfo(_listener.Endpoint, _listener.TokenHex, worker.Id, WorkerEnvironment.ServerMode, Options.MaxMessageSize));
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
        ProcessWorker? worker;
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
    internal void WorkerConnected(ProcessWorker worker)
    {
        Diagnostics.Log.WorkerConnected(Logger, worker.Id, worker.ProcessId);
        Interlocked.Exchange(ref _connectedEver, 1);
        Interlocked.Exchange(ref _failedStarts, 0);
        Dispatcher.WorkerReady(worker);
    }

    /// <summary>
    /// Work handed to a worker that was already dying, or stopping for the server to shrink, that it never
    /// ran: back to the queue without charging an attempt (or failed, once the server is disposed).
    /// </summary>
    internal void Reassign(IReadOnlyList<WorkItem> items)
    {
        var again = new List<WorkItem>(items.Count);
        foreach (WorkItem item in items)
        {
            if (item.IsFinished)
            {
                continue;
            }

            if (IsDisposed)
            {
                item.Fail(new ObjectDisposedException(nameof(JobServer), "The job server was disposed while the job was running."));
                continue;
            }

            if (item is not SingleJobItem single || single.Job.TryRequeue())
            {
                item.Attempts = Math.Max(0, item.Attempts - 1);
                again.Add(item);
            }
        }

        if (again.Count > 0)
        {
            Dispatcher.Requeue(again);
        }
    }

    /// <summary>
    /// A worker process ended without being asked to: its unfinished items go to other workers (up to
    /// <see cref="JobServerOptions.MaxAttempts"/>) or fail, and a replacement starts.
    /// </summary>
    internal void WorkerDied(ProcessWorker worker, IReadOnlyList<WorkItem> unfinished, string exit)
    {
        Dispatcher.Remove(worker);
        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
        }

        var retry = new List<WorkItem>();
        int failed = 0;
        foreach (WorkItem item in unfinished)
        {
            if (item.IsFinished)
            {
                continue;
            }

            if (disposed)
            {
                item.Fail(new ObjectDisposedException(nameof(JobServer), "The job server was disposed while the job was running."));
                continue;
            }

            if (item.Attempts < Options.MaxAttempts && item.IsRetryable
                && (item is not SingleJobItem single || single.Job.TryRequeue()))
            {
                retry.Add(item);
                continue;
            }

            failed++;
            worker.Record(JobOutcome.Crashed, item.Count, 0);
            item.Fail(new JobFailedException(item.Name, worker.Id, JobFailedException.WorkerCrashed,
                $"worker process {worker.ProcessId} exited unexpectedly with {exit} while running the job (attempt {item.Attempts} of {Options.MaxAttempts}{(item.IsRetryable ? string.Empty : "; the job is [ParallelJob(Retry = false)]")})",
                remoteStackTrace: null));
        }

        if (retry.Count > 0)
        {
            Interlocked.Add(ref _retries, retry.Count);
            Diagnostics.Telemetry.Retried.Add(retry.Count);
        }

        if (!disposed)
        {
            Diagnostics.Log.WorkerDied(Logger, worker.Id, worker.ProcessId, exit, retry.Count, failed);
        }

        int serving;
        lock (_gate)
        {
            serving = _workers.Count(w => w != worker && IsServing(w));
        }

        // Retried work first: an idle worker can take it while the replacement starts.
        if (retry.Count > 0)
        {
            Dispatcher.Requeue(retry);
        }

        if (!disposed && serving < Dispatcher.WorkerCount)
        {
            Interlocked.Increment(ref _restarts);
            Diagnostics.Telemetry.WorkerRestarts.Add(1);
            StartWorker();
        }
    }

    /// <summary>
    /// A worker process never connected. It is replaced, with a growing delay; when workers keep failing
    /// and none is left that could serve, the server fails its queued and future work with the reason
    /// instead of waiting forever.
    /// </summary>
    internal void WorkerFailedToStart(ProcessWorker worker, string reason)
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
        if (!anyServing && (neverConnected || failures >= MaxFailedStarts))
        {
            string message = $"No ParallelKit worker process could start: worker {worker.Id} {reason}. Its output, if any, is above.";
            Diagnostics.Log.GaveUp(Logger, message);
            Dispatcher.Close(new InvalidOperationException(message));
            return;
        }

        if (!neverConnected)
        {
            // Replace it (a worker that died already counted its restart); back off while starts keep failing.
            var delay = TimeSpan.FromMilliseconds(100 * (1 << Math.Min(failures, 6)));
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

        Dispatcher.Close(new ObjectDisposedException(nameof(JobServer), "The job server was disposed before the job ran."));
        Diagnostics.Telemetry.ServerStopped(Dispatcher);
        ProcessWorker[] workers;
        lock (_gate)
        {
            workers = [.. _workers];
        }

        foreach (ProcessWorker worker in workers)
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
        foreach (ProcessWorker worker in workers)
        {
            worker.Kill(abandoned);
        }

        await Task.WhenAll(workers.Select(w => w.WaitForExitAsync(CancellationToken.None))).ConfigureAwait(false);
        foreach (ProcessWorker worker in workers)
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
