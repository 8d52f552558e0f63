using System;
using Microsoft.Extensions.Logging;

namespace ParallelKit;

/// <summary>Options for <see cref="JobServer.Start(JobServerOptions?)"/>.</summary>
public sealed class JobServerOptions
{
    /// <summary>
    /// Where the server tells about worker starts, deaths and restarts, and jobs stopped by force
    /// (time-outs, ignored cancellations); <see langword="null"/> (the default) for nowhere.
    /// </summary>
    public ILogger? Logger { get; set; }

    /// <summary>The number of workers; defaults to <see cref="Environment.ProcessorCount"/>.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Worker processes (the default) or worker threads.</summary>
    public JobBackend Backend { get; set; } = JobBackend.Processes;

    /// <summary>
    /// How many times a job is tried when its worker dies under it; 1 means no retry. With retries on (above
    /// 1), a map chunk whose worker died keeps the results that worker delivered, runs only the rest again (split
    /// across the workers), and is not charged an attempt when it made progress.
    /// </summary>
    public int MaxAttempts { get; set; } = 1;

    /// <summary>
    /// The longest a job may run; <see langword="null"/> (the default) for no limit. A job over the limit
    /// fails with <see cref="JobTimeoutException"/>: with processes its worker is killed and replaced, with
    /// threads its cancellation token is cancelled and the job abandoned. A map chunk of n items may run
    /// n times the limit. Setting a timeout sends single jobs one per message (no batching).
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> means no limit too (it reads back as <see langword="null"/>),
    /// as it does for queues, pipes, locks and <see cref="JobServer.Submit(JobCall, TimeSpan, System.Threading.CancellationToken)"/>.
    /// </summary>
    public TimeSpan? JobTimeout
    {
        get => _jobTimeout;
        set => _jobTimeout = value == System.Threading.Timeout.InfiniteTimeSpan ? null : value;
    }

    private TimeSpan? _jobTimeout;

    /// <summary>
    /// How long a running job in a worker process may go on after its cancellation was requested (its
    /// <see cref="System.Threading.CancellationToken"/> parameter is cancelled at once); then its worker is
    /// killed and replaced, and the job ends as cancelled. Default 5 seconds.
    /// </summary>
    public TimeSpan CancellationGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a worker process running jobs may go without a sign of life before it is taken for hung
    /// (stopped with SIGSTOP, or wedged: not even its control thread runs), killed, and its jobs handled as
    /// a crash's (run again while <see cref="MaxAttempts"/> allows, else failed). Default 30 seconds. A worker's
    /// control thread sends a heartbeat several times within this span whatever its jobs do, so a long job is
    /// never mistaken for a hung worker. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> turns the check
    /// off. Worker processes only (threads cannot be stopped on their own). A worker paused in a debugger counts
    /// as stopped: turn the check off to debug inside workers.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long <see cref="JobServer.DisposeAsync"/> lets workers finish and exit before killing them.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The largest marshaled arguments or result of one job (or one map chunk), in bytes; default and
    /// maximum 1023 MiB. A job over it fails with a <see cref="JobFailedException"/> that says so; the
    /// server and its other jobs go on.
    /// </summary>
    public int MaxMessageSize { get; set; } = Ipc.Wire.MaxMessageSize;

    /// <summary>The most items <see cref="JobServer.MapAsync{TItem, TResult}(System.Collections.Generic.IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, IProgress{MapProgress}?, System.Threading.CancellationToken)"/> puts in one message; 0 chooses automatically.</summary>
    public int MaxChunkSize { get; set; }

    /// <summary>
    /// How many items <see cref="JobServer.MapStreamAsync{TItem, TResult}(System.Collections.Generic.IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, System.Threading.CancellationToken)"/>
    /// and <see cref="JobServer.MapUnorderedAsync{TItem, TResult}(System.Collections.Generic.IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, System.Threading.CancellationToken)"/>
    /// read from their input ahead of the consumer: items queued, running, or with results the consumer has not
    /// taken yet. When it is reached the input is not read further until the consumer takes results. 0 (the
    /// default) chooses automatically: 128 per worker, at least 1,024.
    /// </summary>
    public int MapReadAhead { get; set; }

    /// <summary>The shortest <see cref="HeartbeatTimeout"/>: a few heartbeats must fit in it.</summary>
    internal static readonly TimeSpan MinHeartbeatTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Milliseconds between a worker's heartbeats (a fifth of the timeout, at most a second); 0: none.</summary>
    internal int HeartbeatMilliseconds
        => HeartbeatTimeout == System.Threading.Timeout.InfiniteTimeSpan ? 0 : (int)Math.Clamp(HeartbeatTimeout.TotalMilliseconds / 5, 50, 1000);

    /// <summary>
    /// A job each worker process runs once, before it takes its first job — Python's
    /// <c>Pool(initializer=f, initargs=(…))</c>, written <c>Setup.Jobs.Init(…)</c>: open a connection, load a
    /// model, fill a static cache for the jobs that follow. Its arguments are marshaled once, when the server
    /// starts, and given to every worker (replacements too). A worker whose initializer throws prints the
    /// exception and takes no jobs; when no worker can start, queued and later jobs fail with an
    /// <see cref="InvalidOperationException"/> saying the initializer threw, instead of every job failing on its
    /// own. <see langword="null"/> (the default) for none. Processes backend only.
    /// </summary>
    public JobCall? WorkerInitializer { get; set; }

    /// <summary>
    /// How many work items a worker process runs before it is replaced by a fresh one — Python's
    /// <c>maxtasksperchild</c>, for jobs that leak (native code, caches): a single job counts one, a map chunk
    /// counts one (as a task of Python's <c>Pool.map</c> does). The replacement starts as the old worker takes its
    /// last item, and the old one exits once it has reported it. 0 (the default) for no limit. Processes backend only.
    /// </summary>
    public int MaxJobsPerWorker { get; set; }

    /// <summary>The longest time limit a timer can hold (about 24.8 days).</summary>
    internal static readonly TimeSpan MaxTimeLimit = TimeSpan.FromMilliseconds(int.MaxValue);

    internal JobServerOptions Validate()
    {
        if (Workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, "A job server needs at least one worker.");
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be at least 1.");
        }

        if (JobTimeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxTimeLimit))
        {
            throw new ArgumentOutOfRangeException(nameof(JobTimeout), timeout, $"JobTimeout must be positive and at most {MaxTimeLimit}, or null for no limit.");
        }

        if (HeartbeatTimeout != System.Threading.Timeout.InfiniteTimeSpan && (HeartbeatTimeout < MinHeartbeatTimeout || HeartbeatTimeout > MaxTimeLimit))
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatTimeout), HeartbeatTimeout,
                $"HeartbeatTimeout must be between {MinHeartbeatTimeout} and {MaxTimeLimit}, or Timeout.InfiniteTimeSpan for no check.");
        }

        if (ShutdownTimeout < TimeSpan.Zero || ShutdownTimeout > MaxTimeLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, $"ShutdownTimeout must be between zero and {MaxTimeLimit}.");
        }

        if (CancellationGracePeriod < TimeSpan.Zero || CancellationGracePeriod > MaxTimeLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(CancellationGracePeriod), CancellationGracePeriod, $"CancellationGracePeriod must be between zero and {MaxTimeLimit}.");
        }

        if (MaxMessageSize < 1024 || MaxMessageSize > Ipc.Wire.MaxMessageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, $"MaxMessageSize must be between 1 KiB and {Ipc.Wire.MaxMessageSize} bytes.");
        }

        if (MaxChunkSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxChunkSize), MaxChunkSize, "MaxChunkSize cannot be negative.");
        }

        if (MapReadAhead < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MapReadAhead), MapReadAhead, "MapReadAhead cannot be negative (0: automatic).");
        }

        if (MaxJobsPerWorker < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxJobsPerWorker), MaxJobsPerWorker, "MaxJobsPerWorker cannot be negative (0: no limit).");
        }

        if (Backend == JobBackend.Threads && (WorkerInitializer is not null || MaxJobsPerWorker > 0))
        {
            throw new ArgumentException(
                "WorkerInitializer and MaxJobsPerWorker apply to worker processes; the threads backend runs jobs on this process's thread pool, which has no worker of its own to initialize or replace.",
                nameof(Backend));
        }

        return new JobServerOptions
        {
            WorkerInitializer = WorkerInitializer,
            MaxJobsPerWorker = MaxJobsPerWorker,
            Workers = Workers,
            Backend = Backend,
            MaxAttempts = MaxAttempts,
            JobTimeout = JobTimeout,
            ShutdownTimeout = ShutdownTimeout,
            HeartbeatTimeout = HeartbeatTimeout,
            CancellationGracePeriod = CancellationGracePeriod,
            MaxChunkSize = MaxChunkSize,
            MapReadAhead = MapReadAhead,
            MaxMessageSize = MaxMessageSize,
            Logger = Logger,
        };
    }
}
