using System;
using System.Diagnostics;
using System.IO;
using System.Reflection;

namespace ParallelKit.Workers;

/// <summary>Starts this executable again as a worker: the apphost or native binary itself, or <c>dotnet app.dll</c>.</summary>
internal static class WorkerLauncher
{
    /// <summary>Throws, saying exactly what to add, when the entry assembly cannot be relaunched as a worker.</summary>
    public static void EnsureEntryPoint()
    {
        if (WorkerHost.IsInstalled)
        {
            return;
        }

        string entry = Assembly.GetEntryAssembly()?.GetName().Name ?? "(none)";
        throw new InvalidOperationException(
            $"ParallelKit cannot start worker processes: the entry assembly '{entry}' has no ParallelKit worker entrypoint. " +
            "Worker processes are this executable relaunched, and the ParallelKit source generator emits their entrypoint (a [ModuleInitializer]) " +
            "into the executable project. Add <PackageReference Include=\"ParallelKit\" /> to the project with <OutputType>Exe</OutputType> " +
            "(a reference from a library it uses is not enough). Under 'dotnet test', the test project must itself be an executable " +
            "(xunit v3 test projects are). Or start the server with new JobServerOptions { Backend = JobBackend.Threads }.");
    }

    public static ProcessStartInfo CreateStartInfo(
        string endpoint, string token, int workerId, string mode, int maxMessageSize = Ipc.Wire.MaxMessageSize, int heartbeatMilliseconds = 0, string? initializer = null)
    {
        string processPath = Environment.ProcessPath
            ?? throw new InvalidOperationException("ParallelKit cannot start worker processes: the path of the current executable is unknown.");
        var start = new ProcessStartInfo(processPath)
        {
            UseShellExecute = false,
            WorkingDirectory = Environment.CurrentDirectory,
        };

        if (IsDotnetHost(processPath))
        {
            // 'dotnet app.dll': relaunch the host with the entry assembly.
            string name = Assembly.GetEntryAssembly()?.GetName().Name
                ?? throw new InvalidOperationException("ParallelKit cannot start worker processes: there is no entry assembly.");
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, name + ".dll"));
        }

        start.Environment[WorkerEnvironment.Endpoint] = endpoint;
        start.Environment[WorkerEnvironment.Token] = token;
        start.Environment[WorkerEnvironment.WorkerId] = workerId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment[WorkerEnvironment.Mode] = mode;
        start.Environment[WorkerEnvironment.MaxMessageSize] = maxMessageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (heartbeatMilliseconds > 0)
        {
            start.Environment[WorkerEnvironment.Heartbeat] = heartbeatMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (initializer is not null)
        {
            start.Environment[WorkerEnvironment.Initializer] = initializer;
        }

        TuneTieredCompilation(start);

        if (WorkerHost.ServesBeforeMain)
        {
            // The entry type's generated static constructor serves jobs: no startup hook to pay for.
            return start;
        }

        // Serve jobs from a startup hook, outside the entry assembly's module initializer (see WorkerHost).
        string hook = WorkerEnvironment.StartupHookName();
        string? existing = start.Environment.TryGetValue(WorkerEnvironment.StartupHooks, out string? value) ? value : null;
        start.Environment[WorkerEnvironment.StartupHooks] = string.IsNullOrEmpty(existing) ? hook : existing + Path.PathSeparator + hook;

        return start;
    }

    /// <summary>
    /// A worker runs the user's hot code from its first moments on, while its own start-up code is still being
    /// compiled: with the runtime's defaults, call counting waits until no new method has been compiled for 100 ms
    /// (a young worker compiles new methods all the time, so its job code stays at tier 0 for its first maps), and
    /// TieredPGO compiles every hot method twice more (instrumented, then optimized) on the background thread, which
    /// takes a core from the jobs on a small machine. The same holds for a process of its own (a
    /// <see cref="ParallelKit.ParallelProcess"/>, a CSP process run <c>.InOsProcess()</c>: a network member whose
    /// channel loop ran at tier 0 for its first tens of milliseconds, 2–3× slower per communication). Workers start
    /// with call counting at once and without the instrumented tier; a setting the user gave (environment or
    /// runtimeconfig) is kept.
    /// </summary>
    private static void TuneTieredCompilation(ProcessStartInfo start)
    {
        string tuned = string.Empty;
        SetUnlessGiven(start, "TC_CallCountingDelayMs", "0", runtimeConfigName: null, ref tuned);
        SetUnlessGiven(start, "TieredPGO", "0", runtimeConfigName: "System.Runtime.TieredPGO", ref tuned);
        if (tuned.Length > 0)
        {
            // For the worker to take them out again (WorkerEnvironment.Clear): processes its jobs start get the user's.
            start.Environment[WorkerEnvironment.Tuned] = tuned;
        }
    }

    private static void SetUnlessGiven(ProcessStartInfo start, string knob, string value, string? runtimeConfigName, ref string tuned)
    {
        if (start.Environment.ContainsKey("DOTNET_" + knob) || start.Environment.ContainsKey("COMPlus_" + knob)
            || (runtimeConfigName is not null && AppContext.GetData(runtimeConfigName) is not null))
        {
            return;
        }

        start.Environment["DOTNET_" + knob] = value;
        tuned = tuned.Length == 0 ? knob : tuned + "," + knob;
    }

    private static bool IsDotnetHost(string processPath)
    {
        string file = Path.GetFileNameWithoutExtension(processPath);
        return string.Equals(file, "dotnet", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Describes how a process ended, the way a shell would.</summary>
    public static string DescribeExit(int? exitCode)
    {
        if (exitCode is not { } code)
        {
            return "an unknown exit status";
        }

        if (code == WorkerInitializer.FailedExitCode)
        {
            return $"exit code {code} (its JobServerOptions.WorkerInitializer threw; the exception is printed above)";
        }

        if (code > 128 && code < 128 + 65)
        {
            int signal = code - 128;
            string name = signal switch
            {
                6 => "SIGABRT",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                15 => "SIGTERM",
                _ => "signal " + signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            return $"exit code {code} ({name})";
        }

        return $"exit code {code}";
    }
}
