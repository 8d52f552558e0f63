using System;
using System.Reflection;

namespace ParallelKit.Workers;

/// <summary>How a parent tells a relaunched executable that it is a worker, and where to connect.</summary>
internal static class WorkerEnvironment
{
    public const string Endpoint = "PARALLELKIT_WORKER_ENDPOINT";
    public const string Token = "PARALLELKIT_WORKER_TOKEN";
    public const string WorkerId = "PARALLELKIT_WORKER_ID";
    public const string Mode = "PARALLELKIT_WORKER_MODE";
    public const string MaxMessageSize = "PARALLELKIT_WORKER_MAX_MESSAGE";

    /// <summary>Serve jobs until told to stop (a job server worker).</summary>
    public const string ServerMode = "server";

    /// <summary>Run one job and exit with its outcome (a ParallelProcess).</summary>
    public const string ProcessMode = "process";

    /// <summary>The .NET host's list of startup hooks; workers are launched with ParallelKit's.</summary>
    public const string StartupHooks = "DOTNET_STARTUP_HOOKS";

    /// <summary>Removes the worker variables, so that processes a job starts are not workers.</summary>
    public static void Clear()
    {
        Environment.SetEnvironmentVariable(Endpoint, null);
        Environment.SetEnvironmentVariable(Token, null);
        Environment.SetEnvironmentVariable(WorkerId, null);
        Environment.SetEnvironmentVariable(Mode, null);
        Environment.SetEnvironmentVariable(MaxMessageSize, null);
        string? hooks = Environment.GetEnvironmentVariable(StartupHooks);
        string ours = StartupHookName();
        if (hooks is not null)
        {
            // A loop, not LINQ: this runs in every worker's start-up, before its first job.
            var rest = new System.Text.StringBuilder(hooks.Length);
            foreach (string hook in hooks.Split(System.IO.Path.PathSeparator))
            {
                if (hook == ours)
                {
                    continue;
                }

                if (rest.Length > 0)
                {
                    rest.Append(System.IO.Path.PathSeparator);
                }

                rest.Append(hook);
            }

            Environment.SetEnvironmentVariable(StartupHooks, rest.Length == 0 ? null : rest.ToString());
        }
    }

    /// <summary>
    /// The startup hook, named by assembly (the host resolves it like any dependency, also from a
    /// single-file bundle). Native AOT and trimmed apps ignore startup hooks; their workers are served by
    /// the module initializer instead.
    /// </summary>
    public static string StartupHookName() => typeof(WorkerHost).Assembly.GetName().Name ?? "ParallelKit";

    /// <summary>The entry assembly's module version id: parent and worker must run the same build.</summary>
    public static Guid EntryModuleVersionId()
    {
        try
        {
            return Assembly.GetEntryAssembly()?.ManifestModule.ModuleVersionId ?? Guid.Empty;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException)
        {
            return Guid.Empty;
        }
    }
}
