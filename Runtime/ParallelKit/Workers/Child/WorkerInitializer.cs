using System;

namespace ParallelKit.Workers;

/// <summary>
/// Runs <see cref="JobServerOptions.WorkerInitializer"/> in a worker process, once, before it connects to take
/// jobs (Python's <c>Pool(initializer=…, initargs=…)</c>). A worker whose initializer throws prints the
/// exception and exits with <see cref="FailedExitCode"/> before connecting, which its parent reports as a
/// failed start naming the initializer; no job is handed to it.
/// </summary>
internal static class WorkerInitializer
{
    /// <summary>The exit code of a worker whose initializer threw (EX_CONFIG).</summary>
    public const int FailedExitCode = 78;

    /// <summary>The marshaled call (key and arguments) for the environment, as base64.</summary>
    public static string Encode(JobCall initializer) => Convert.ToBase64String(initializer.MarshalKeyAndArguments());

    /// <summary>Decodes and runs the initializer; throws what it throws.</summary>
    public static void Run(string encoded)
        => LocalJobRunner.Run(LocalJobRunner.Decode(Convert.FromBase64String(encoded), "its worker initializer"));
}
