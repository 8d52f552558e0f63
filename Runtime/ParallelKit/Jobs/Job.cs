using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit;

/// <summary>
/// A submitted job that returns no value: awaitable, with its <see cref="Status"/> and the
/// <see cref="WorkerId"/> of the worker that ran it.
/// </summary>
public abstract class Job
{
    private int _status;
    private int _workerId = -1;

    internal Job(JobCall call)
    {
        Call = call;
    }

    /// <summary>The call this job runs.</summary>
    public JobCall Call { get; }

    /// <summary>The job's display name (<see cref="JobCall.JobName"/>).</summary>
    public string Name => Call.JobName;

    /// <summary>Where the job is in its life.</summary>
    public JobStatus Status => (JobStatus)Volatile.Read(ref _status);

    /// <summary>The id of the worker that ran (or runs) the job; <c>-1</c> while queued.</summary>
    public int WorkerId => Volatile.Read(ref _workerId);

    /// <summary>A task that completes when the job does.</summary>
    public Task Completion => CompletionCore;

    /// <summary><see langword="true"/> once the job has completed, failed or been cancelled.</summary>
    public bool IsCompleted => CompletionCore.IsCompleted;

    private protected abstract Task CompletionCore { get; }

    /// <summary>Waits for the job to finish; rethrows its failure.</summary>
    /// <exception cref="JobFailedException">The job threw.</exception>
    /// <exception cref="OperationCanceledException">The job was cancelled.</exception>
    public void Wait()
    {
        SpinBriefly(CompletionCore);
        CompletionCore.GetAwaiter().GetResult();
    }

    /// <summary>Gets an awaiter, so that <c>await job</c> waits for the job.</summary>
    /// <returns>The awaiter.</returns>
    public TaskAwaiter GetAwaiter() => CompletionCore.GetAwaiter();

    /// <summary>Configures how awaiting the job continues.</summary>
    /// <param name="continueOnCapturedContext">Whether to continue on the captured context.</param>
    /// <returns>A configured awaitable.</returns>
    public ConfiguredTaskAwaitable ConfigureAwait(bool continueOnCapturedContext)
        => CompletionCore.ConfigureAwait(continueOnCapturedContext);

    /// <inheritdoc />
    public override string ToString() => $"{Name} [{Status}]";

    /// <summary>
    /// Whether a blocking wait polls briefly before sleeping. Worth it for in-process jobs, which often
    /// finish within a few µs; not for jobs in other processes, where the poller would take a core from
    /// the worker and the results thread (measured: a slower round trip on two cores).
    /// </summary>
    internal bool SpinBeforeBlocking { get; set; }

    /// <summary>
    /// A blocking wait sleeps in the kernel and pays a wake-up of several µs; in-process jobs often finish
    /// sooner than that, so poll for a few µs first.
    /// </summary>
    private protected void SpinBriefly(Task task)
    {
        if (task.IsCompleted || !SpinBeforeBlocking)
        {
            return;
        }

        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency / 50_000); // 20 µs
        var spinner = default(Internal.SpinWaitLite);
        while (!task.IsCompleted && System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
        {
            spinner.SpinOnce();
        }
    }

    internal bool TryMarkRunning(int workerId)
    {
        if (Interlocked.CompareExchange(ref _status, (int)JobStatus.Running, (int)JobStatus.Queued) != (int)JobStatus.Queued)
        {
            return false;
        }

        Volatile.Write(ref _workerId, workerId);
        return true;
    }

    /// <summary>Puts a job whose worker died back in the queue, for another attempt.</summary>
    internal bool TryRequeue()
        => Interlocked.CompareExchange(ref _status, (int)JobStatus.Queued, (int)JobStatus.Running) == (int)JobStatus.Running;

    /// <summary>Runs the job's method in this process and keeps its result for <see cref="CompleteLocal"/> (threads backend).</summary>
    internal abstract ValueTask RunLocalAsync(CancellationToken cancellationToken);

    /// <summary>Completes the job with the result kept by <see cref="RunLocalAsync"/>.</summary>
    internal abstract void CompleteLocal();

    /// <summary>The job's span in this process, when someone listens to <see cref="ParallelKitDiagnostics.ActivitySourceName"/>.</summary>
    internal System.Diagnostics.Activity? Activity { get; set; }

    /// <summary>The server that counts this job as unfinished until it ends (for <see cref="JobServer.ShutdownAsync"/>).</summary>
    internal JobServer? Owner { get; set; }

    /// <summary>Moves to a final status; only the first caller wins.</summary>
    internal bool TryFinish(JobStatus final)
    {
        while (true)
        {
            int current = Volatile.Read(ref _status);
            if (current >= (int)JobStatus.Completed)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _status, (int)final, current) == current)
            {
                Diagnostics.Telemetry.Finish(Activity, final);
                Owner?.EndSubmission();
                return true;
            }
        }
    }

    internal abstract void CompleteFromPayload(ReadOnlySpan<byte> payload);

    internal abstract void Fail(Exception exception);

    internal abstract void Cancel(CancellationToken token);
}

/// <summary>A submitted job that returns no value.</summary>
internal sealed class VoidJob : Job
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal VoidJob(JobCall call)
        : base(call)
    {
    }

    private protected override Task CompletionCore => _completion.Task;

    internal override void CompleteFromPayload(ReadOnlySpan<byte> payload)
    {
        if (TryFinish(JobStatus.Completed))
        {
            _completion.TrySetResult();
        }
    }


    internal override ValueTask RunLocalAsync(CancellationToken cancellationToken)
        => ((VoidJobCall)Call).InvokeAsync(cancellationToken);

    internal override void CompleteLocal() => CompleteFromPayload(default);

    internal override void Fail(Exception exception)
    {
        if (TryFinish(JobStatus.Failed))
        {
            _completion.TrySetException(exception);
        }
    }

    internal override void Cancel(CancellationToken token)
    {
        if (TryFinish(JobStatus.Canceled))
        {
            _completion.TrySetCanceled(token);
        }
    }
}

/// <summary>
/// A submitted job that returns a <typeparamref name="TResult"/>: awaitable (<c>int n = await job;</c>),
/// or read synchronously through <see cref="Result"/>.
/// </summary>
/// <typeparam name="TResult">The job's result type.</typeparam>
public sealed class Job<TResult> : Job
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TResult? _localResult;

    internal Job(JobCall<TResult> call)
        : base(call)
    {
    }

    /// <summary>Waits for the job and returns its result.</summary>
    /// <exception cref="JobFailedException">The job threw.</exception>
    /// <exception cref="OperationCanceledException">The job was cancelled.</exception>
    public TResult Result
    {
        get
        {
            SpinBriefly(_completion.Task);
            return _completion.Task.GetAwaiter().GetResult();
        }
    }

    /// <summary>A task that completes with the job's result.</summary>
    public new Task<TResult> Completion => _completion.Task;

    private protected override Task CompletionCore => _completion.Task;

    /// <summary>Gets an awaiter, so that <c>await job</c> returns the job's result.</summary>
    /// <returns>The awaiter.</returns>
    public new TaskAwaiter<TResult> GetAwaiter() => _completion.Task.GetAwaiter();

    /// <summary>Configures how awaiting the job continues.</summary>
    /// <param name="continueOnCapturedContext">Whether to continue on the captured context.</param>
    /// <returns>A configured awaitable.</returns>
    public new ConfiguredTaskAwaitable<TResult> ConfigureAwait(bool continueOnCapturedContext)
        => _completion.Task.ConfigureAwait(continueOnCapturedContext);

    /// <summary>The job's result as a task, for <c>Task.WhenAll</c> and friends.</summary>
    /// <returns>The job's completion.</returns>
    public Task<TResult> AsTask() => _completion.Task;

    /// <summary>Lets a job be awaited wherever a <see cref="Task{TResult}"/> is expected.</summary>
    /// <param name="job">The job.</param>
    public static implicit operator Task<TResult>(Job<TResult> job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job._completion.Task;
    }

    internal override void CompleteFromPayload(ReadOnlySpan<byte> payload)
    {
        TResult value;
        try
        {
            value = JobCall<TResult>.ReadTypedResult(payload);
        }
        catch (Exception ex)
        {
            Fail(new JobFailedException(Name, WorkerId, ex.GetType().FullName ?? ex.GetType().Name,
                $"The job's result could not be read: {ex.Message}", ex.StackTrace, ex));
            return;
        }

        if (TryFinish(JobStatus.Completed))
        {
            _completion.TrySetResult(value);
        }
    }


    internal override async ValueTask RunLocalAsync(CancellationToken cancellationToken)
        => _localResult = await ((JobCall<TResult>)Call).InvokeAsync(cancellationToken).ConfigureAwait(false);

    internal override void CompleteLocal()
    {
        TResult value = _localResult!;
        _localResult = default;
        if (TryFinish(JobStatus.Completed))
        {
            _completion.TrySetResult(value);
        }
    }

    internal override void Fail(Exception exception)
    {
        if (TryFinish(JobStatus.Failed))
        {
            _completion.TrySetException(exception);
        }
    }

    internal override void Cancel(CancellationToken token)
    {
        if (TryFinish(JobStatus.Canceled))
        {
            _completion.TrySetCanceled(token);
        }
    }
}
