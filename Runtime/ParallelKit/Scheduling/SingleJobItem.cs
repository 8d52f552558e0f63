using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;

namespace ParallelKit.Scheduling;

/// <summary>A job submitted on its own through <see cref="JobServer.Submit(JobCall, CancellationToken)"/>.</summary>
internal sealed class SingleJobItem : WorkItem, IWorkSource
{
    private readonly byte[]? _arguments;
    private readonly CancellationToken _cancellationToken;
    private readonly string? _traceParent;
    private CancellationTokenRegistration _registration;

    /// <param name="job">The job to complete.</param>
    /// <param name="arguments">The marshaled key and arguments (processes backend), or null (threads backend).</param>
    /// <param name="cancellationToken">The token given to Submit.</param>
    /// <param name="timeout">A time limit of the job's own, overriding the server's.</param>
    /// <param name="traceParent">The W3C trace context the worker's span continues, if any.</param>
    public SingleJobItem(Job job, byte[]? arguments, CancellationToken cancellationToken, TimeSpan? timeout = null, string? traceParent = null)
    {
        Job = job;
        Timeout = timeout;
        _traceParent = traceParent;
        _arguments = arguments;
        _cancellationToken = cancellationToken;
    }

    public Job Job { get; }

    public override string Name => Job.Name;

    public override ulong CostKey => Job.Call.JobKey;

    public override int Count => 1;

    public bool IsSingleJob => true;

    public override bool IsFinished => Job.IsCompleted;

    public override bool CancellationRequested => _cancellationToken.IsCancellationRequested;

    public override bool IsRetryable => Job.Call.IsRetryable;

    public override string? RequiredTag => Job.Call.RequiredTag;

    /// <summary>Wires the submit token: a queued job is dropped, a running one is cancelled in its worker.</summary>
    public void RegisterCancellation()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.UnsafeRegister(static state => ((SingleJobItem)state!).OnCancelRequested(), this);
            if (Job.IsCompleted)
            {
                // Finished before the registration existed: nothing else would release it.
                _registration.Dispose();
            }
        }
    }

    public WorkItem? TakeNext(int workers, out bool exhausted)
    {
        exhausted = true;
        return this;
    }

    public void Abandon(Exception reason)
    {
        if (reason is OperationCanceledException canceled)
        {
            // Dropped before it started (a shutdown that cancels pending jobs): cancelled, not failed.
            Job.Cancel(canceled.CancellationToken);
            _registration.Dispose();
            return;
        }

        Fail(reason);
    }

    protected override bool TryStart(WorkerSlot worker) => Job.TryMarkRunning(worker.Id);

    public override void WritePayload(FrameBuffer frame)
    {
        Ipc.JobPayload.WriteHeader(frame, jobs: 1, Ipc.JobPayload.NotAMap, _traceParent);
        frame.WriteBytes(_arguments);
    }

    public override bool TryRequeue() => Job.TryRequeue();

    public override void Complete(ReadOnlySpan<byte> results)
    {
        Job.CompleteFromPayload(results);
        _registration.Dispose();
    }

    public override void Canceled()
    {
        Job.Cancel(_cancellationToken);
        _registration.Dispose();
    }

    public override void Fail(Exception exception)
    {
        Job.Fail(exception);
        _registration.Dispose();
    }

    public override async ValueTask RunInProcessAsync(WorkerSlot worker, TimeSpan? timeout, CancellationToken stopping)
    {
        long started = Stopwatch.GetTimestamp();
        Activity.Current = Job.Activity ?? Activity.Current;

        // The job's token: the submitter's, the server's shutdown, and the time limit, whichever comes first.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken, stopping);
        if (timeout is { } limit)
        {
            linked.CancelAfter(limit);
        }

        try
        {
            Task running = Job.RunLocalAsync(linked.Token).AsTask();
            if (timeout is { } wait)
            {
                // A job that ignores its token is abandoned at the limit: a thread cannot be killed.
                await running.WaitAsync(wait, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await running.ConfigureAwait(false);
            }

            worker.RecordCompleted(1, Stopwatch.GetElapsedTime(started).Ticks);
            Job.CompleteLocal();
            _registration.Dispose();
        }
        catch (Exception ex)
        {
            EndInProcess(worker, 1, Stopwatch.GetElapsedTime(started).Ticks, ex, Job.Name, timeout, stopping);
        }
    }

    private void OnCancelRequested()
    {
        switch (Job.Status)
        {
            case JobStatus.Queued:
                Job.Cancel(_cancellationToken);
                break;
            case JobStatus.Running:
                Worker?.RequestCancel(Sequence);
                break;
        }
    }
}
