// The .NET host looks startup hooks up by this exact name: a type 'StartupHook' in the global namespace
// with a static 'Initialize()'. Worker launches name ParallelKit.dll in DOTNET_STARTUP_HOOKS.
#pragma warning disable CA1050 // Declare types in namespaces: the host requires the global namespace.

/// <summary>Runs a ParallelKit worker before <c>Main</c> when this process was launched as one.</summary>
internal static class StartupHook
{
    /// <summary>Called by the .NET host before <c>Main</c>.</summary>
    public static void Initialize() => ParallelKit.WorkerHost.RunFromStartupHook();
}
