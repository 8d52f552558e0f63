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
    public const string Initializer = "PARALLELKIT_WORKER_INIT";

    /// <summary>Milliseconds between a server worker's heartbeats; absent or 0: none.</summary>
    public const string Heartbeat = "PARALLELKIT_WORKER_HEARTBEAT";

    /// <summary>
    /// The runtime settings (<c>DOTNET_</c> knobs, comma-separated) the parent gave a server worker on top of the user's
    /// environment (see <c>WorkerLauncher</c>): the worker removes them, so that processes its jobs start do not inherit them.
    /// </summary>
    public const string Tuned = "PARALLELKIT_WORKER_TUNED";

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
        Environment.SetEnvironmentVariable(Heartbeat, null);
        Environment.SetEnvironmentVariable(Initializer, null);
        if (Environment.GetEnvironmentVariable(Tuned) is { Length: > 0 } tuned)
        {
            foreach (string knob in tuned.Split(','))
            {
                Environment.SetEnvironmentVariable("DOTNET_" + knob, null);
            }

            Environment.SetEnvironmentVariable(Tuned, null);
        }
        string? hooks = Environment.GetEnvironmentVariable(StartupHooks);
        if (hooks is not null)
        {
            string ours = StartupHookName();
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
    /// Reads a non-negative decimal variable; <paramref name="fallback"/> when it is missing or malformed.
    /// A loop of its own: the framework's parsing is compiled on first use, a millisecond of start-up.
    /// </summary>
    public static int ReadInt32(string name, int fallback)
    {
        string? text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(text) || text.Length > 10)
        {
            return fallback;
        }

        long value = 0;
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return fallback;
            }

            value = (value * 10) + (c - '0');
        }

        return value <= int.MaxValue ? (int)value : fallback;
    }

    /// <summary>Decodes the hexadecimal secret; an empty array when it is malformed (the parent then refuses the worker).</summary>
    public static byte[] DecodeToken(string hex)
    {
        if (hex.Length % 2 != 0)
        {
            return [];
        }

        byte[] bytes = new byte[hex.Length / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            int high = HexDigit(hex[2 * i]);
            int low = HexDigit(hex[(2 * i) + 1]);
            if ((high | low) < 0)
            {
                return [];
            }

            bytes[i] = (byte)((high << 4) | low);
        }

        return bytes;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>
    /// The startup hook, named by assembly (the host resolves it like any dependency, also from a
    /// single-file bundle). Native AOT and trimmed apps ignore startup hooks; their workers are served by
    /// the module initializer instead.
    /// </summary>
    public static string StartupHookName() => AssemblyName;

    /// <summary>This assembly's simple name, as a constant: <c>Assembly.GetName()</c> costs a worker's start-up a culture lookup.</summary>
    private const string AssemblyName = "ParallelKit";

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
