using System;
using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ParallelKit;

/// <summary>
/// The worker entrypoint. The generator emits a <c>[ModuleInitializer]</c> into every executable that
/// references ParallelKit which calls <see cref="Initialize(Assembly, Action)"/> before <c>Main</c>: in a normal launch it
/// only records that the entrypoint exists; in a relaunch as a worker the process serves jobs and exits,
/// so <c>Main</c> never runs there.
/// </summary>
/// <remarks>
/// A worker must not run its loop inside the module initializer itself: until the initializer returns,
/// every other thread that touches the entry assembly waits for it, so a job whose continuation resumes
/// on the thread pool would deadlock. Where it can, the generator gives the type declaring <c>Main</c> a
/// static constructor that serves jobs (<see cref="RunBeforeMain"/>): it runs after the module initializer
/// and before <c>Main</c>, and only that type, which then declares nothing but <c>Main</c>, stays closed to
/// other threads. Otherwise workers are launched with a .NET startup hook (<c>DOTNET_STARTUP_HOOKS</c>, see
/// <c>StartupHook</c>; ~7 ms more per worker) that runs the module initializer first, to collect the job
/// tables, and then serves jobs outside it. Where neither is available (Native AOT or a trimmed app whose
/// <c>Main</c> is in a type the generator cannot extend) the module initializer serves jobs itself.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WorkerHost
{
    private static int s_installed;
    private static int s_startupHookActive;
    private static Action? s_registerJobs;
    private static Action? s_registerForLocalUse;
    private static int s_registeredForLocalUse;

    /// <summary>Whether the entry assembly carries the generated worker entrypoint.</summary>
    internal static bool IsInstalled => Volatile.Read(ref s_installed) != 0;

    /// <summary>Whether this process is a worker (set before any job runs in it).</summary>
    public static bool IsWorker { get; private set; }

    /// <summary>The id of this worker within its server; -1 outside workers.</summary>
    public static int WorkerId { get; private set; } = -1;

    /// <summary>The pid of the process that started this worker, read when it started; -1 outside workers.</summary>
    internal static int ParentProcessId { get; private set; } = -1;

    /// <summary>Whether workers are served by the generated static constructor of the entry point's type (no startup hook needed).</summary>
    internal static bool ServesBeforeMain { get; private set; }

    /// <summary>Called by the generated module initializer of an executable.</summary>
    /// <param name="executable">
    /// The executable whose initializer this is. It only counts when it is the process's entry assembly:
    /// an executable loaded as a library by another host (a benchmark runner, say) is not relaunched as workers.
    /// </param>
    /// <param name="registerJobs">Registers the jobs of the executable and of the libraries it references.</param>
    public static void Initialize(Assembly executable, Action registerJobs) => Initialize(executable, registerJobs, servesBeforeMain: false);

    /// <summary>Called by the generated module initializer of an executable.</summary>
    /// <param name="executable">
    /// The executable whose initializer this is. It only counts when it is the process's entry assembly:
    /// an executable loaded as a library by another host (a benchmark runner, say) is not relaunched as workers.
    /// </param>
    /// <param name="registerJobs">Registers the jobs of the executable and of the libraries it references.</param>
    /// <param name="servesBeforeMain">
    /// Whether the generator also gave the type declaring <c>Main</c> a static constructor that calls
    /// <see cref="RunBeforeMain"/>: workers are then served from there, and started without a startup hook.
    /// </param>
    public static void Initialize(Assembly executable, Action registerJobs, bool servesBeforeMain)
    {
        ArgumentNullException.ThrowIfNull(executable);
        ArgumentNullException.ThrowIfNull(registerJobs);
        if (executable != Assembly.GetEntryAssembly())
        {
            return;
        }

        Volatile.Write(ref s_installed, 1);
        s_registerForLocalUse = registerJobs;
        Internal.LibcResolver.Install();
        ServesBeforeMain = servesBeforeMain;
        if (Volatile.Read(ref s_startupHookActive) != 0 || servesBeforeMain)
        {
            // The startup hook, or the entry type's static constructor, runs the worker once this initializer has returned.
            s_registerJobs = registerJobs;
            return;
        }

        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Workers.WorkerEnvironment.Endpoint)))
        {
            RunWorker(registerJobs);
        }
    }

    /// <summary>
    /// Called by the generated static constructor of the type declaring <c>Main</c>, after the module
    /// initializer: in a worker launch (not already served by the startup hook) it serves jobs and exits, so
    /// <c>Main</c> never runs; otherwise it returns at once.
    /// </summary>
    public static void RunBeforeMain()
    {
        Action? register = s_registerJobs;
        if (!ServesBeforeMain || register is null || Volatile.Read(ref s_startupHookActive) != 0
            || string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Workers.WorkerEnvironment.Endpoint)))
        {
            return;
        }

        RunWorker(register);
    }

    /// <summary>Called by the startup hook in a worker launch, before <c>Main</c> and outside any initializer.</summary>
    internal static void RunFromStartupHook()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Workers.WorkerEnvironment.Endpoint)))
        {
            return;
        }

        Volatile.Write(ref s_startupHookActive, 1);
        Assembly? entry = Assembly.GetEntryAssembly();
        if (entry is not null)
        {
            RuntimeHelpers.RunModuleConstructor(entry.ManifestModule.ModuleHandle);
        }

        Action? register = s_registerJobs;
        if (register is null)
        {
            Console.Error.WriteLine(
                $"ParallelKit: this process was started as a worker, but its entry assembly '{entry?.GetName().Name}' has no generated worker entrypoint.");
            Environment.Exit(70);
        }

        RunWorker(register);
    }

    /// <summary>
    /// Fills the job registry in a process that is not a worker, for the rare job it runs itself from marshaled
    /// form (a barrier action that another process set up). Workers register their jobs when they start.
    /// </summary>
    internal static void EnsureJobsRegistered()
    {
        if (!IsWorker && s_registerForLocalUse is { } register && Interlocked.Exchange(ref s_registeredForLocalUse, 1) == 0)
        {
            register();
        }
    }

    /// <summary>Runs the server's worker initializer; prints its exception and returns false when it throws.</summary>
    private static bool RunInitializer(string initializer, int id)
    {
        try
        {
            Workers.WorkerInitializer.Run(initializer);
            return true;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"ParallelKit worker {id}: its initializer (JobServerOptions.WorkerInitializer) failed, so it takes no jobs:{Environment.NewLine}{ex}");
            return false;
        }
    }

    private static void RunWorker(Action registerJobs)
    {
        string endpoint = Environment.GetEnvironmentVariable(Workers.WorkerEnvironment.Endpoint)!;
        string token = Environment.GetEnvironmentVariable(Workers.WorkerEnvironment.Token) ?? string.Empty;
        string mode = Environment.GetEnvironmentVariable(Workers.WorkerEnvironment.Mode) ?? Workers.WorkerEnvironment.ServerMode;
        int id = Workers.WorkerEnvironment.ReadInt32(Workers.WorkerEnvironment.WorkerId, 0);
        int maxMessageSize = Workers.WorkerEnvironment.ReadInt32(Workers.WorkerEnvironment.MaxMessageSize, Ipc.Wire.MaxMessageSize);
        int heartbeat = Workers.WorkerEnvironment.ReadInt32(Workers.WorkerEnvironment.Heartbeat, 0);
        string? initializer = Environment.GetEnvironmentVariable(Workers.WorkerEnvironment.Initializer);

        // A job may start processes of its own (even another job server): they must not become workers.
        Workers.WorkerEnvironment.Clear();
        IsWorker = true;
        WorkerId = id;
        ParentProcessId = Internal.NativeProcess.ParentProcessId();
        if (mode != Workers.WorkerEnvironment.ProcessMode)
        {
            Internal.MarshalingWarmup.Start();
        }

        int exitCode;
        Workers.WorkerLoop? worker = null;
        try
        {
            Workers.WarmupJob.Register();
            Manager.ManagerJob.Register();
            registerJobs();
            if (!string.IsNullOrEmpty(initializer) && !RunInitializer(initializer, id))
            {
                Internal.ConsoleWriters.FlushCreated();
                Environment.Exit(Workers.WorkerInitializer.FailedExitCode);
            }

            worker = new Workers.WorkerLoop(endpoint, token, id, mode == Workers.WorkerEnvironment.ProcessMode, maxMessageSize, heartbeat);
            exitCode = worker.Run();
            if (worker.Terminated)
            {
                exitCode = Workers.WorkerLoop.TerminatedExitCode;
            }
            if (mode != Workers.WorkerEnvironment.ProcessMode)
            {
                // A server worker closes its channels; a single-job process leaves like os._exit (the kernel closes them).
                worker.Dispose();
            }
        }
        catch (Ipc.ParentUnreachableException)
        {
            // The parent closed its socket before this process connected (it is exiting, or dropped a spare
            // it no longer needs): nobody waits for this process, and there is nothing to report.
            exitCode = 70;
        }
        catch (Workers.WorkerRefusedException ex)
        {
            // Expected (a rebuilt executable, a parent that gave up on this worker): the reason, not a stack trace.
            Console.Error.WriteLine($"ParallelKit worker {id} could not start: {ex.Message}");
            exitCode = 70; // EX_SOFTWARE
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"ParallelKit worker {id} failed: {ex}");
            exitCode = 70; // EX_SOFTWARE
        }

        if (mode == Workers.WorkerEnvironment.ProcessMode && worker is { Terminated: false })
        {
            // As a .NET process after Main, and Python's child after its target: foreground threads the job
            // started run to their end before the process leaves; background ones do not hold it.
            Internal.ForegroundThreads.WaitForOthers();
        }

        Internal.ConsoleWriters.FlushCreated();
        if (mode == Workers.WorkerEnvironment.ProcessMode)
        {
            // A ParallelProcess has run its job (or printed its error on stderr) and flushed its output: it tells
            // its parent the exit code, so that Join returns now rather than after the kernel's tear-down of this
            // process, and leaves like os._exit.
            Internal.NativeProcess.ReleaseProcessResources();
            worker?.ReportExit(exitCode);
            Internal.NativeProcess.Exit(exitCode);
        }

        Environment.Exit(exitCode);
    }
}
