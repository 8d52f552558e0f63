using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;
using ParallelKit.Ipc;
using ParallelKit.Processes;
using ParallelKit.Workers;

namespace ParallelKit;

/// <summary>
/// One job in a dedicated process, like Python's <c>multiprocessing.Process</c>: start it, join it, read
/// its exit code. The process is this executable relaunched; it runs the job and exits with 0, or with 1
/// after printing the job's exception to its standard error.
/// </summary>
/// <example>
/// <code>
/// using var p = ParallelProcess.Start(Greeter.Jobs.Hello("bob"));
/// p.Join();
/// Console.WriteLine(p.ExitCode); // 0
/// </code>
/// </example>
public sealed class ParallelProcess : IDisposable
{
    private static readonly TimeSpan SpareDelay = TimeSpan.FromMilliseconds(100);

    private static int s_keepWarmSpare = 1;
    private static int s_started;
    private static readonly System.Collections.Generic.List<ParallelProcess> s_children = [];

    private readonly ProcessLaunch _launch;
    private int _disposed;
    private int? _exitCode;

    private ParallelProcess(JobCall call, ProcessLaunch launch, string name)
    {
        Name = name;
        JobName = call.JobName;
        _launch = launch;
        Pid = launch.Pid;
    }

    /// <summary>
    /// Whether a spare process is kept started and connected, so that <see cref="Start(JobCall)"/> hands its job to
    /// a ready process instead of waiting for a new one to start (like Python's forkserver). On by default;
    /// turning it off kills the spare. The spare dies with this process. Like a forkserver's children, a
    /// spare has the environment variables and working directory this process had when the spare started.
    /// </summary>
    public static bool KeepWarmSpare
    {
        get => Volatile.Read(ref s_keepWarmSpare) != 0;
        set
        {
            Volatile.Write(ref s_keepWarmSpare, value ? 1 : 0);
            if (!value)
            {
                SpareProcess.Discard();
            }
        }
    }

    /// <summary>The job this process runs.</summary>
    public string JobName { get; }

    /// <summary>
    /// The process's name — Python's <c>Process.name</c>: the one given to <see cref="Start(JobCall, string?)"/>, or
    /// <c>ParallelProcess-N</c> (N counting the processes this process started, from 1). For logs and
    /// <see cref="ToString"/>; the operating system does not see it.
    /// </summary>
    public string Name { get; }

    /// <summary>
    /// Inside a job server worker or a <see cref="ParallelProcess"/>, the pid of the process that started it
    /// (Python's <c>parent_process().pid</c>); <see langword="null"/> in a process ParallelKit did not start.
    /// </summary>
    public static int? ParentProcessId => WorkerHost.IsWorker && WorkerHost.ParentProcessId > 0 ? WorkerHost.ParentProcessId : null;

    /// <summary>
    /// The processes this process started with <see cref="Start(JobCall, string?)"/> that are still running — Python's
    /// <c>multiprocessing.active_children()</c> — in the order they were started. (.NET reaps ended processes
    /// itself: nothing needs joining for them to go.)
    /// </summary>
    /// <returns>A snapshot of the running children.</returns>
    public static System.Collections.Generic.IReadOnlyList<ParallelProcess> ActiveChildren()
    {
        lock (s_children)
        {
            s_children.RemoveAll(child => !child.IsAlive);
            return [.. s_children];
        }
    }

    /// <summary>The process id.</summary>
    public int Pid { get; }

    /// <summary>Whether the process is still running.</summary>
    public bool IsAlive => ExitCode is null;

    /// <summary>
    /// The exit code once the process has ended (0: the job returned; 1: it threw; 128+N: killed by signal N),
    /// or <see langword="null"/> while it runs.
    /// </summary>
    public int? ExitCode => _exitCode ?? _launch.ReportedExitCode ?? (_launch.Process.HasExited ? _launch.Process.ExitCode : null);

    /// <summary>Starts a process that runs <paramref name="call"/> and exits.</summary>
    /// <param name="call">The job to run, e.g. <c>Greeter.Jobs.Hello("bob")</c>.</param>
    /// <returns>The running process.</returns>
    /// <exception cref="InvalidOperationException">This executable has no ParallelKit worker entrypoint (the message says what to add).</exception>
    public static ParallelProcess Start(JobCall call) => Start(call, name: null);

    /// <summary>Starts a process that runs <paramref name="call"/> and exits, under a name of your choosing.</summary>
    /// <param name="call">The job to run, e.g. <c>Greeter.Jobs.Hello("bob")</c>.</param>
    /// <param name="name">Its <see cref="Name"/> (Python's <c>Process(name=…)</c>); <see langword="null"/> for <c>ParallelProcess-N</c>.</param>
    /// <returns>The running process.</returns>
    /// <exception cref="InvalidOperationException">This executable has no ParallelKit worker entrypoint (the message says what to add).</exception>
    public static ParallelProcess Start(JobCall call, string? name)
    {
        ArgumentNullException.ThrowIfNull(call);
        int number = Interlocked.Increment(ref s_started);
        name ??= string.Create(System.Globalization.CultureInfo.InvariantCulture, $"ParallelProcess-{number}");
        WorkerLauncher.EnsureEntryPoint();
        byte[] frame = BuildFrame(call.MarshalKeyAndArguments());
        ProcessLaunch launch = (KeepWarmSpare ? SpareProcess.TryTake() : null) ?? new ProcessLaunch();
        launch.Run(frame);
        if (KeepWarmSpare)
        {
            // The next spare starts once this process has exited, or 100 ms from now if its job runs longer:
            // a runtime starting up beside a short job would take the CPU it needs (two cores here).
            _ = Task.WhenAny(launch.Exited, Task.Delay(SpareDelay))
                .ContinueWith(static _ =>
                {
                    if (KeepWarmSpare)
                    {
                        SpareProcess.Replenish();
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        var process = new ParallelProcess(call, launch, name);
        lock (s_children)
        {
            s_children.RemoveAll(child => !child.IsAlive);
            s_children.Add(process);
        }

        return process;
    }

    /// <summary>Waits for the process to exit.</summary>
    /// <remarks>
    /// A process that ran its job reports its exit code right before it leaves (its output already flushed, the
    /// shared memory it owned removed), and <see cref="Join()"/> returns then, without waiting the milliseconds the
    /// kernel takes to tear a .NET process down: the process can run no more code, but what the kernel releases
    /// at exit (a socket the job left listening, a file lock, the process id itself) is released a few milliseconds
    /// later. <see cref="Dispose"/> waits for that. A process that died otherwise is waited for until it is reaped.
    /// </remarks>
    public void Join()
    {
        _launch.Ended.Wait();
        Finish();
    }

    /// <summary>Waits at most <paramref name="timeout"/> for the process to exit.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns><see langword="true"/> when the process has exited.</returns>
    public bool Join(TimeSpan timeout)
    {
        if (!_launch.Ended.Wait(timeout))
        {
            return false;
        }

        Finish();
        return true;
    }

    /// <summary>Waits for the process to exit without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting (the process keeps running).</param>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task JoinAsync(CancellationToken cancellationToken = default)
    {
        await _launch.Ended.WaitAsync(cancellationToken).ConfigureAwait(false);
        Finish();
    }

    /// <summary>Settles the exit code once the process has ended (or reported that it is leaving) and closes its socket.</summary>
    private void Finish()
    {
        if (_exitCode is null)
        {
            if (_launch.ReportedExitCode is int reported)
            {
                _exitCode = reported;
            }
            else
            {
                // Died without reporting (killed, crashed): Ended completed when .NET reaped it.
                _launch.Process.WaitForExit();
                _exitCode = _launch.Process.ExitCode;
            }
        }

        _launch.Release();
    }

    /// <summary>
    /// Asks the process to stop — Python's <c>terminate()</c> (SIGTERM): the job's <see cref="CancellationToken"/>
    /// is cancelled, so it may clean up, and the process exits with 143 (128 + SIGTERM) once the job returns, or
    /// 5 seconds later if it does not. Unlike Python's, a job can run <c>finally</c> blocks and dispose what it
    /// holds; a process that has not started its job yet exits at once. Does nothing once it has exited; see
    /// <see cref="Kill"/> for the immediate stop.
    /// </summary>
    public void Terminate()
    {
        if (ExitCode is null && !_launch.Process.HasExited)
        {
            NativeProcess.SendTerminate(Pid);
        }
    }

    /// <summary>
    /// Kills the process at once — Python's <c>kill()</c> (SIGKILL) — and the processes it started; its exit code
    /// is 137. Nothing in it runs any more (no <c>finally</c>, no cleanup). Does nothing once it has exited.
    /// </summary>
    public void Kill()
    {
        if (ExitCode is null)
        {
            NativeProcess.KillTree(_launch.Process);
        }
    }

    /// <summary>Releases the process handle and the private socket; a process still running is killed, never orphaned.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        _launch.Process.WaitForExit();
        _launch.Release();
        _exitCode ??= _launch.Process.ExitCode; // still readable after the handle is gone
        _launch.Process.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Pid} ({JobName}, {(IsAlive ? "running" : "exit code " + ExitCode)})";

    private static byte[] BuildFrame(byte[] keyAndArguments)
    {
        using var frame = new FrameBuffer(keyAndArguments.Length + 128);
        int countAt = BatchRecord.BeginBatch(frame);
        int lengthAt = BatchRecord.BeginRecord(frame, sequence: 0);
        JobPayload.WriteHeader(frame, jobs: 1, JobPayload.NotAMap, Diagnostics.Telemetry.TraceParent(null));
        frame.WriteBytes(keyAndArguments);
        BatchRecord.EndRecord(frame, lengthAt);
        BatchRecord.EndBatch(frame, countAt, 1);
        return frame.WrittenSpan.ToArray();
    }
}
