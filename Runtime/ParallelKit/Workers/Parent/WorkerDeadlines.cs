using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using ParallelKit.Scheduling;

namespace ParallelKit.Workers;

/// <summary>
/// The deadlines of one worker process, kept by the parent beside its <see cref="WorkerConnection"/>: the watchdog of
/// a batch with a job timeout, the grace period of a cancelled job, and the heartbeat a busy worker owes. Each one,
/// when missed, fails or cancels the job concerned and has the connection kill the worker (its death then hands the
/// rest of its work on, and a replacement starts).
/// </summary>
/// <remarks>
/// A deadline judges the batch the worker runs (not the one sent behind it, whose deadlines start when it runs), so it
/// takes the connection's lock (<c>gate</c>) to look at it: a batch that is reported and replaced while a timer fires
/// must not be mistaken for the late one.
/// </remarks>
internal sealed class WorkerDeadlines : IDisposable
{
    private readonly WorkerConnection _worker;
    private readonly object _gate;
    private readonly ProcessBackend _backend;

    // Guarded by _gate. Each batch armed gets a generation; the watchdog judges only the batch it was armed for.
    private Timer? _watchdog;
    private long _batchGeneration;
    private long _watchdogGeneration;
    private long _watchdogDue; // the Stopwatch timestamp at which the armed batch is late

    // When the worker last sent anything (a heartbeat, results), and when its current batch went out
    // (Environment.TickCount64): a busy worker silent since both for HeartbeatTimeout is hung.
    private long _lastHeard;
    private long _batchSentAt;
    private string? _killedBecause;

    /// <param name="worker">The connection whose batches are watched.</param>
    /// <param name="gate">The connection's lock, which guards its batch.</param>
    /// <param name="backend">The server: its options (timeouts, grace period) and logger.</param>
    public WorkerDeadlines(WorkerConnection worker, object gate, ProcessBackend backend)
    {
        _worker = worker;
        _gate = gate;
        _backend = backend;
    }

    /// <summary>Why a deadline killed the worker, to name in its jobs' errors; <see langword="null"/> when none did.</summary>
    public string? KilledBecause => Volatile.Read(ref _killedBecause);

    /// <summary>The worker sent something (a heartbeat, results): it is not hung.</summary>
    public void Heard() => Volatile.Write(ref _lastHeard, Environment.TickCount64);

    /// <summary>
    /// The worker starts running <paramref name="batch"/> (it was sent with nothing running, or the batch ahead of it
    /// was reported): the heartbeat is owed from now, and with a job timeout (the server's, or one given at submit) the
    /// batch gets a deadline: its one job's timeout, or a chunk's timeout per item. Caller holds the gate.
    /// </summary>
    public void BatchStarted(List<WorkItem> batch)
    {
        Volatile.Write(ref _batchSentAt, Environment.TickCount64);
        long ticks = 0;
        foreach (WorkItem item in batch)
        {
            if (item.LimitOr(_backend.Options.JobTimeout) is not { } limit)
            {
                // No deadline for this batch: one armed for the batch before must not judge it.
                _watchdogGeneration = 0;
                _watchdog?.Change(Timeout.Infinite, Timeout.Infinite);
                return;
            }

            ticks += Math.Min(limit.Ticks, TimeSpan.FromDays(1).Ticks) * item.Count;
        }

        long generation = ++_batchGeneration;
        _watchdog ??= new Timer(static state => ((WorkerDeadlines)state!).OnDeadline(), this, Timeout.Infinite, Timeout.Infinite);
        _watchdogGeneration = generation;
        TimeSpan due = TimeSpan.FromTicks(Math.Min(ticks, TimeSpan.FromDays(24).Ticks));
        _watchdogDue = Stopwatch.GetTimestamp() + (long)(due.TotalSeconds * Stopwatch.Frequency);
        _watchdog.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The worker reported its whole batch and runs none: its deadline is off.</summary>
    public void BatchDone()
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
            ReadOnlySpan<WorkItem> running = _worker.Unreported;
            if (_watchdogGeneration != 0 && _watchdogGeneration == _batchGeneration && running.Length > 0 && !running[0].IsFinished)
            {
                long early = _watchdogDue - Stopwatch.GetTimestamp();
                if (early > 0)
                {
                    // A callback of the timer as it was armed for an earlier batch (the one that runs now started while it
                    // fired), or the timer's coarser clock: this batch is not late yet.
                    _watchdog!.Change(TimeSpan.FromSeconds((double)early / Stopwatch.Frequency) + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
                    return;
                }

                late = running[0];

                // From here on the worker takes no new batch: it is about to be killed.
                _worker.Condemn();
            }
        }

        if (late is null)
        {
            return;
        }

        TimeSpan limit = late.LimitOr(_backend.Options.JobTimeout)!.Value;
        Diagnostics.Log.JobTimedOut(_backend.Logger, late.Name, limit, _worker.Id, _worker.ProcessId);
        _worker.Record(JobOutcome.TimedOut, late.Count, limit.Ticks);
        late.Fail(new JobTimeoutException(late.Name, _worker.Id, limit));
        _worker.KillProcess();
    }

    /// <summary>
    /// The record <paramref name="sequence"/> was asked to cancel: a job that ignores its token gets
    /// <see cref="JobServerOptions.CancellationGracePeriod"/>, then its worker is killed (and replaced).
    /// </summary>
    public void StartCancellationGrace(long sequence)
        => _ = new CancellationGrace(this, sequence, _backend.Options.CancellationGracePeriod);

    /// <summary>The grace period of a cancelled job is over: if it is still running, its worker dies.</summary>
    private void OnCancellationGraceExpired(long sequence)
    {
        WorkItem? stuck = null;
        bool queued;
        lock (_gate)
        {
            queued = _worker.IsQueued(sequence);
            foreach (WorkItem item in _worker.Unreported)
            {
                // A chunk of a cancelled map counts as finished (its map is), but still runs until its worker reports.
                if (item.Sequence == sequence && (!item.IsFinished || item.CancellationRequested))
                {
                    stuck = item;
                    _worker.Condemn();
                    break;
                }
            }
        }

        if (stuck is null)
        {
            if (queued)
            {
                // Sent behind the running batch, it has not started: its grace runs once it does (the worker cancels it
                // as it starts; a job that ignores that is judged a grace period later).
                StartCancellationGrace(sequence);
            }

            return;
        }

        Diagnostics.Log.CancellationIgnored(_backend.Logger, stuck.Name, _backend.Options.CancellationGracePeriod, _worker.Id, _worker.ProcessId);
        _worker.Record(JobOutcome.Canceled, stuck.Count, 0);
        stuck.Canceled();
        _worker.KillProcess();
    }

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
            if (_worker.IsCondemned || _worker.Unreported.IsEmpty)
            {
                return;
            }

            silent = now - Math.Max(Volatile.Read(ref _lastHeard), Volatile.Read(ref _batchSentAt));
            if (silent < timeoutMilliseconds)
            {
                return;
            }

            _worker.Condemn();
        }

        string why = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"no heartbeat for {silent / 1000.0:F1} s (the process was stopped or hung)");
        Volatile.Write(ref _killedBecause, why);
        Diagnostics.Log.WorkerHung(_backend.Logger, _worker.Id, _worker.ProcessId, why);
        _worker.KillProcess();
    }

    /// <summary>Stops the watchdog; the worker is gone.</summary>
    public void Dispose() => _watchdog?.Dispose();

    /// <summary>A one-shot timer for <see cref="OnCancellationGraceExpired"/>; the timer queue keeps it alive until it fires.</summary>
    private sealed class CancellationGrace : IDisposable
    {
        private readonly WorkerDeadlines _deadlines;
        private readonly long _sequence;
        private readonly Timer _timer;

        public CancellationGrace(WorkerDeadlines deadlines, long sequence, TimeSpan grace)
        {
            _deadlines = deadlines;
            _sequence = sequence;
            _timer = new Timer(static state => ((CancellationGrace)state!).Expire(), this, grace, Timeout.InfiniteTimeSpan);
        }

        public void Dispose() => _timer.Dispose();

        private void Expire()
        {
            Dispose();
            _deadlines.OnCancellationGraceExpired(_sequence);
        }
    }
}
