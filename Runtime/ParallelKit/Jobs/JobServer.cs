using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Diagnostics;
using ParallelKit.Scheduling;
using ParallelKit.Workers;

namespace ParallelKit;

/// <summary>
/// A Parallel-Python-style job server: submit <see cref="JobCall"/>s (made by the generated
/// <c>Jobs</c> factories of <see cref="ParallelJobAttribute">[ParallelJob]</see> methods), and idle
/// workers — processes by default, or threads — take the next job.
/// </summary>
/// <example>
/// <code>
/// await using var server = JobServer.Start();
/// Job&lt;int&gt; job = server.Submit(Primes.Jobs.CountPrimes(0, 100_000));
/// int n = await job;
/// </code>
/// </example>
public sealed class JobServer : IAsyncDisposable, IDisposable
{
    private readonly JobBackendCore _backend;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    // Jobs and maps submitted and not finished, plus one while the server takes submissions; ShutdownAsync
    // drops that one and waits for zero. A submission counts itself before it checks _closing, so a shutdown
    // that sees zero has seen every submission that got in.
    private int _outstanding = 1;
    private int _closing;

    private JobServer(JobBackendCore backend)
    {
        _backend = backend;
    }

    /// <summary>A server over a backend made elsewhere (the cluster package's driver).</summary>
    internal static JobServer FromBackend(JobBackendCore backend) => new(backend);

    /// <summary>The backend, for packages that feed work to it directly (a cluster node relays records to its local server).</summary>
    internal JobBackendCore Core => _backend;

    /// <summary>Where this server runs jobs.</summary>
    public JobBackend Backend => _backend.Kind;

    /// <summary>The number of workers the server keeps; see <see cref="SetWorkers"/>.</summary>
    public int Workers => _backend.TargetWorkers;

    /// <summary>
    /// Changes the number of workers while the server runs (pp's <c>set_ncpus</c>). Growing starts new
    /// workers at once; shrinking stops idle workers at once and busy ones when their current job (or
    /// batch) is done — no job is lost or cut short.
    /// </summary>
    /// <param name="workers">The new worker count, at least 1.</param>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public void SetWorkers(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _backend.Resize(workers);
    }

    /// <summary>A snapshot of per-worker job counts and busy time; <c>ToString()</c> prints pp's table.</summary>
    public JobServerStats Stats
    {
        get
        {
            WorkerStats[] workers = [.. _backend.AllWorkers.Select(w => w.Snapshot())];
            return new JobServerStats(_backend.Kind, workers, Stopwatch.GetElapsedTime(_started),
                _backend.Dispatcher.Queued, _backend.Dispatcher.Running, _backend.Retries, _backend.Restarts)
            {
                Nodes = _backend.Nodes,
            };
        }
    }

    /// <summary>
    /// Starts a job server. With the processes backend (the default) the workers start in the
    /// background; jobs submitted before they are up wait in the queue.
    /// </summary>
    /// <param name="options">Worker count, backend and limits; defaults when <see langword="null"/>.</param>
    /// <returns>The running server; dispose it to stop the workers.</returns>
    /// <exception cref="InvalidOperationException">
    /// The processes backend was asked for but this executable has no ParallelKit worker entrypoint
    /// (the message says what to add).
    /// </exception>
    public static JobServer Start(JobServerOptions? options = null)
    {
        JobServerOptions settings = (options ?? new JobServerOptions()).Validate();
        JobBackendCore backend = settings.Backend switch
        {
            JobBackend.Processes => new ProcessBackend(settings),
            JobBackend.Threads => new ThreadBackend(settings),
            JobBackend.Cluster => throw new ArgumentException("A cluster's job server starts with ClusterJobServer.StartAsync (package ParallelKit.Cluster), not JobServer.Start.", nameof(options)),
            _ => throw new ArgumentOutOfRangeException(nameof(options), settings.Backend, "Unknown job backend."),
        };
        return new JobServer(backend);
    }

    /// <summary>Submits a job that returns a value.</summary>
    /// <typeparam name="TResult">The job's result type.</typeparam>
    /// <param name="call">The call, e.g. <c>Primes.Jobs.CountPrimes(0, 100)</c>.</param>
    /// <param name="cancellationToken">
    /// Cancels the job: a queued job is dropped; a running job sees its <see cref="CancellationToken"/>
    /// parameter cancelled. Either way awaiting it throws <see cref="OperationCanceledException"/>.
    /// </param>
    /// <returns>The job, awaitable for its result.</returns>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public Job<TResult> Submit<TResult>(JobCall<TResult> call, CancellationToken cancellationToken = default)
        => (Job<TResult>)Submit((JobCall)call, cancellationToken);

    /// <summary>Submits a job; for a job without a result, the returned <see cref="Job"/> is awaitable.</summary>
    /// <param name="call">The call, e.g. <c>Tasks.Jobs.Touch("a.txt")</c>.</param>
    /// <param name="cancellationToken">Cancels the job (see <see cref="Submit{TResult}(JobCall{TResult}, CancellationToken)"/>).</param>
    /// <returns>The job.</returns>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public Job Submit(JobCall call, CancellationToken cancellationToken = default)
        => SubmitCore(call, timeout: null, cancellationToken);

    /// <summary>Submits a job with a time limit of its own, overriding <see cref="JobServerOptions.JobTimeout"/>.</summary>
    /// <typeparam name="TResult">The job's result type.</typeparam>
    /// <param name="call">The call.</param>
    /// <param name="timeout">
    /// The longest the job may run; over it, the job fails with <see cref="JobTimeoutException"/>.
    /// <see cref="Timeout.InfiniteTimeSpan"/>: no limit, whatever <see cref="JobServerOptions.JobTimeout"/> says
    /// (the same "no limit" as queues, pipes and locks take).
    /// </param>
    /// <param name="cancellationToken">Cancels the job.</param>
    /// <returns>The job.</returns>
    public Job<TResult> Submit<TResult>(JobCall<TResult> call, TimeSpan timeout, CancellationToken cancellationToken = default)
        => (Job<TResult>)Submit((JobCall)call, timeout, cancellationToken);

    /// <summary>Submits a job with a time limit of its own, overriding <see cref="JobServerOptions.JobTimeout"/>.</summary>
    /// <param name="call">The call.</param>
    /// <param name="timeout">
    /// The longest the job may run; over it, the job fails with <see cref="JobTimeoutException"/>.
    /// <see cref="Timeout.InfiniteTimeSpan"/>: no limit, whatever <see cref="JobServerOptions.JobTimeout"/> says
    /// (the same "no limit" as queues, pipes and locks take).
    /// </param>
    /// <param name="cancellationToken">Cancels the job.</param>
    /// <returns>The job.</returns>
    public Job Submit(JobCall call, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, JobServerOptions.MaxTimeLimit);
        }

        return SubmitCore(call, timeout, cancellationToken);
    }

    private Job SubmitCore(JobCall call, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Job job;
        BeginSubmission();
        try
        {
            job = call.CreateJob();
        }
        catch
        {
            EndSubmission();
            throw;
        }

        job.Owner = this; // its end, whichever way, ends the submission (no continuation per job on the submit path)
        try
        {
            return Enqueue(job, call, timeout, cancellationToken);
        }
        catch
        {
            job.Cancel(CancellationToken.None); // never handed out: it only has to stop counting
            throw;
        }
    }

    private Job Enqueue(Job job, JobCall call, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        job.SpinBeforeBlocking = !_backend.MarshalsCalls;
        Telemetry.Submitted.Add(1);
        job.Activity = Telemetry.StartSubmitted("parallelkit.job", call.JobName);
        if (cancellationToken.IsCancellationRequested)
        {
            job.Cancel(cancellationToken);
            return job;
        }

        if (call.RequiredTag is { } tag && _backend.CannotRun(tag) is { } why)
        {
            job.Fail(NoMatchingWorker(call.JobName, why));
            return job;
        }

        byte[]? arguments = _backend.MarshalsCalls ? call.MarshalKeyAndArguments() : null;
        if (arguments is not null && arguments.Length > _backend.Options.MaxMessageSize)
        {
            job.Fail(MessageTooLarge(call.JobName, "arguments", arguments.Length, _backend.Options.MaxMessageSize));
            return job;
        }

        var item = new SingleJobItem(job, arguments, cancellationToken, timeout, Telemetry.TraceParent(job.Activity));
        _backend.Dispatcher.Enqueue(item);
        item.RegisterCancellation();
        return job;
    }

    /// <summary>
    /// Runs one job per item and returns the results in item order, like <c>Pool.map</c>. Items travel
    /// in chunks (many jobs per message) that start at one item, so results and progress come at once, grow while the
    /// map is young, and shrink towards the end so the workers finish together. For results as they come, and input
    /// read lazily, see <see cref="MapStreamAsync{TItem, TResult}(IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <typeparam name="TResult">The jobs' result type.</typeparam>
    /// <param name="items">The items.</param>
    /// <param name="job">Makes the job call for an item, e.g. <c>c =&gt; Primes.Jobs.CountPrimes(c.From, c.To)</c>.</param>
    /// <param name="progress">
    /// Told how many results are in as they arrive, from the first on (see <see cref="MapProgress"/>); called on the
    /// thread that reads results, one report at a time, so a handler that reports at once sees counts only grow.
    /// </param>
    /// <param name="cancellationToken">Cancels the map: chunks not yet started are dropped, running ones see their tokens cancelled.</param>
    /// <returns>The results, in item order.</returns>
    /// <exception cref="JobFailedException">A job threw; the first failure fails the map.</exception>
    public Task<TResult[]> MapAsync<TItem, TResult>(IEnumerable<TItem> items, Func<TItem, JobCall<TResult>> job, IProgress<MapProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult[]>(cancellationToken);
        }

        BeginSubmission();
        TItem[] all;
        try
        {
            all = items as TItem[] ?? [.. items];
        }
        catch
        {
            EndSubmission();
            throw;
        }

        int maxChunk = _backend.Options.MaxChunkSize > 0 ? _backend.Options.MaxChunkSize : 4096;
        Telemetry.Submitted.Add(all.Length);
        string? tag = all.Length > 0 ? job(all[0]).RequiredTag : null;
        if (tag is not null && _backend.CannotRun(tag) is { } why)
        {
            return Task.FromException<TResult[]>(NoMatchingWorker("map", why));
        }

        var map = new MapOperation<TItem, TResult>(all, job, progress, maxChunk, Telemetry.StartSubmitted("parallelkit.map", "map"), cancellationToken)
        {
            RequiredTag = tag,
        };
        map.Completion.ContinueWith(static (_, server) => ((JobServer)server!).EndSubmission(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (all.Length == 0)
        {
            progress?.Report(new MapProgress(0, 0));
            return map.Completion;
        }

        try
        {
            _backend.Dispatcher.Enqueue(map);
        }
        catch (Exception ex)
        {
            map.Abandon(ex); // never queued: it only has to stop counting
            throw;
        }

        map.RegisterCancellation();
        return map.Completion;
    }

    /// <summary>Runs the given job calls and returns their results in order (see <see cref="MapAsync{TItem, TResult}(IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, IProgress{MapProgress}?, CancellationToken)"/>).</summary>
    /// <typeparam name="TResult">The jobs' result type.</typeparam>
    /// <param name="calls">The job calls.</param>
    /// <param name="progress">Told how many results are in as they arrive.</param>
    /// <param name="cancellationToken">Cancels the map.</param>
    /// <returns>The results, in order.</returns>
    public Task<TResult[]> MapAsync<TResult>(IEnumerable<JobCall<TResult>> calls, IProgress<MapProgress>? progress = null, CancellationToken cancellationToken = default)
        => MapAsync(calls, static call => call, progress, cancellationToken);

    /// <summary>
    /// Runs one job per item and yields the results in item order as they come — Python's <c>Pool.imap</c>,
    /// joblib's <c>return_as="generator"</c>: each result as soon as it and every result before it are in. The
    /// input is read lazily, at most <see cref="JobServerOptions.MapReadAhead"/> items ahead of the consumer, so a
    /// map over a lazy sequence of millions of items never holds them all. Nothing runs until the enumeration starts.
    /// </summary>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <typeparam name="TResult">The jobs' result type.</typeparam>
    /// <param name="items">The items, enumerated once, on a thread-pool thread, as the map needs them.</param>
    /// <param name="job">Makes the job call for an item, e.g. <c>c =&gt; Primes.Jobs.CountPrimes(c.From, c.To)</c>.</param>
    /// <param name="cancellationToken">
    /// Cancels the map (as does the token given to <c>WithCancellation</c>). Leaving the <c>await foreach</c> early
    /// (<c>break</c>, an exception) cancels it too: queued items are dropped and running jobs see their tokens cancelled.
    /// </param>
    /// <returns>The results, in item order.</returns>
    /// <exception cref="JobFailedException">A job threw (raised by the enumeration; the first failure ends the map and cancels the rest).</exception>
    /// <exception cref="OperationCanceledException">The map was cancelled (raised by the enumeration).</exception>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public IAsyncEnumerable<TResult> MapStreamAsync<TItem, TResult>(IEnumerable<TItem> items, Func<TItem, JobCall<TResult>> job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return StreamInOrder(items, job, cancellationToken);
    }

    /// <summary>Runs the given job calls and yields their results in order as they come (see <see cref="MapStreamAsync{TItem, TResult}(IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, CancellationToken)"/>).</summary>
    /// <typeparam name="TResult">The jobs' result type.</typeparam>
    /// <param name="calls">The job calls, enumerated lazily.</param>
    /// <param name="cancellationToken">Cancels the map.</param>
    /// <returns>The results, in order.</returns>
    public IAsyncEnumerable<TResult> MapStreamAsync<TResult>(IEnumerable<JobCall<TResult>> calls, CancellationToken cancellationToken = default)
        => MapStreamAsync(calls, static call => call, cancellationToken);

    /// <summary>
    /// Runs one job per item and yields each result as soon as it is in, with its item's index — Python's
    /// <c>Pool.imap_unordered</c> and <c>concurrent.futures.as_completed</c>. Input is read lazily with bounded
    /// read-ahead, and leaving the loop cancels the rest, as for <see cref="MapStreamAsync{TItem, TResult}(IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <typeparam name="TResult">The jobs' result type.</typeparam>
    /// <param name="items">The items, enumerated once, on a thread-pool thread, as the map needs them.</param>
    /// <param name="job">Makes the job call for an item.</param>
    /// <param name="cancellationToken">Cancels the map.</param>
    /// <returns>Each item's index and result, in the order they complete.</returns>
    /// <exception cref="JobFailedException">A job threw (raised by the enumeration; the first failure ends the map and cancels the rest).</exception>
    /// <exception cref="OperationCanceledException">The map was cancelled (raised by the enumeration).</exception>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public IAsyncEnumerable<MapResult<TResult>> MapUnorderedAsync<TItem, TResult>(IEnumerable<TItem> items, Func<TItem, JobCall<TResult>> job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return StreamAsCompleted(items, job, cancellationToken);
    }

    /// <summary>Runs the given job calls and yields each result as it completes, with the call's index (see <see cref="MapUnorderedAsync{TItem, TResult}(IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, CancellationToken)"/>).</summary>
    /// <typeparam name="TResult">The jobs' result type.</typeparam>
    /// <param name="calls">The job calls, enumerated lazily.</param>
    /// <param name="cancellationToken">Cancels the map.</param>
    /// <returns>Each call's index and result, in the order they complete.</returns>
    public IAsyncEnumerable<MapResult<TResult>> MapUnorderedAsync<TResult>(IEnumerable<JobCall<TResult>> calls, CancellationToken cancellationToken = default)
        => MapUnorderedAsync(calls, static call => call, cancellationToken);

    private async IAsyncEnumerable<TResult> StreamInOrder<TItem, TResult>(IEnumerable<TItem> items, Func<TItem, JobCall<TResult>> job, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StreamingMap<TItem, TResult> map = StartStream(items, job, cancellationToken);
        try
        {
            // Results that overtook an earlier one wait here; the read-ahead bounds how many.
            var early = new Dictionary<long, TResult>();
            long next = 0;
            await foreach (MapResult<TResult> arrived in map.Results.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested(); // results already in do not outlast a cancellation
                if (arrived.Index != next)
                {
                    early.Add(arrived.Index, arrived.Result);
                    continue;
                }

                yield return arrived.Result;
                map.Release(1);
                next++;
                while (early.Remove(next, out TResult? result))
                {
                    yield return result;
                    map.Release(1);
                    next++;
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            map.Leave();
            EndSubmission();
        }
    }

    private async IAsyncEnumerable<MapResult<TResult>> StreamAsCompleted<TItem, TResult>(IEnumerable<TItem> items, Func<TItem, JobCall<TResult>> job, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StreamingMap<TItem, TResult> map = StartStream(items, job, cancellationToken);
        try
        {
            await foreach (MapResult<TResult> arrived in map.Results.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested(); // results already in do not outlast a cancellation
                yield return arrived;
                map.Release(1);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            map.Leave();
            EndSubmission();
        }
    }

    /// <summary>Counts the stream as a submission (a graceful shutdown waits for it) and starts its feeder.</summary>
    private StreamingMap<TItem, TResult> StartStream<TItem, TResult>(IEnumerable<TItem> items, Func<TItem, JobCall<TResult>> job, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        BeginSubmission();
        JobServerOptions options = _backend.Options;
        int maxChunk = options.MaxChunkSize > 0 ? options.MaxChunkSize : 4096;
        int readAhead = options.MapReadAhead > 0 ? options.MapReadAhead : Math.Max(1024, 128 * _backend.TargetWorkers);
        return StreamingMap<TItem, TResult>.Start(_backend.Dispatcher, _backend.CannotRun, items, job, readAhead, maxChunk, cancellationToken);
    }

    /// <summary>
    /// Stops the server gracefully — Python's <c>pool.close(); pool.join()</c> and <c>executor.shutdown(wait=True)</c>:
    /// new submissions are refused at once (<see cref="InvalidOperationException"/>), every job and map already
    /// submitted runs to its end, then the workers stop. With <paramref name="cancelPendingJobs"/>
    /// (<c>shutdown(cancel_futures=True)</c>), jobs still queued are cancelled instead (their status
    /// <see cref="JobStatus.Canceled"/>; maps not yet finished fail with <see cref="OperationCanceledException"/>)
    /// and only those already running finish. <see cref="DisposeAsync"/> is the abort.
    /// </summary>
    /// <param name="cancelPendingJobs">Cancel what has not started instead of running it.</param>
    /// <param name="cancellationToken">
    /// Stops waiting: the server keeps refusing submissions and finishing its work; dispose it to abort that.
    /// </param>
    /// <returns>A task that completes when the work is done and every worker has exited.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task ShutdownAsync(bool cancelPendingJobs = false, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            EndSubmission(); // the server's own count: what is left is the work
        }

        if (cancelPendingJobs)
        {
            _backend.Dispatcher.Close(new OperationCanceledException("The job server was shut down with cancelPendingJobs before this job started."));
        }

        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the server gracefully and waits; see <see cref="ShutdownAsync"/>.</summary>
    /// <param name="cancelPendingJobs">Cancel what has not started instead of running it.</param>
    public void Shutdown(bool cancelPendingJobs = false) => ShutdownAsync(cancelPendingJobs).GetAwaiter().GetResult();

    private void BeginSubmission()
    {
        Interlocked.Increment(ref _outstanding);
        if (Volatile.Read(ref _closing) != 0)
        {
            EndSubmission();
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new InvalidOperationException("The job server is shutting down (ShutdownAsync was called): it takes no new jobs.");
        }
    }

    internal void EndSubmission()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>
    /// Stops the server at once (the abort; <see cref="ShutdownAsync"/> is the graceful stop): queued jobs fail with <see cref="ObjectDisposedException"/>; running jobs see
    /// their cancellation token cancelled and get <see cref="JobServerOptions.ShutdownTimeout"/> to
    /// finish, then their workers are killed and they fail. Never leaves worker processes behind.
    /// </summary>
    /// <returns>A task that completes when every worker has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _backend.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The error of a job whose arguments or result exceed <see cref="JobServerOptions.MaxMessageSize"/>.</summary>
    internal static JobFailedException MessageTooLarge(string jobName, string what, long size, int limit)
        => new(jobName, -1, JobFailedException.MessageTooLarge,
            $"the job's {what} take {size:N0} bytes marshaled, more than JobServerOptions.MaxMessageSize ({limit:N0} bytes)", null);

    /// <summary>The error of a job that needs a node tag no worker offers.</summary>
    internal static JobFailedException NoMatchingWorker(string jobName, string why)
        => new(jobName, -1, JobFailedException.NoMatchingNode, why, null);

    /// <summary>Stops the server synchronously; see <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
