using System;
using System.Threading;
using System.Threading.Tasks;

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
    {
        byte[] payload = Convert.FromBase64String(encoded);
        JobCall call;
        var reader = new JobReader(payload);
        try
        {
            ulong key = reader.Read<ulong>();
            if (!JobRegistry.TryGet(key, out JobDecoder decoder, out _))
            {
                throw new InvalidOperationException($"This worker has no job with key 0x{key:X16} to run as its initializer.");
            }

            call = decoder(ref reader);
        }
        finally
        {
            reader.Dispose();
        }

        var output = new Internal.FrameBuffer(256);
        try
        {
            using var state = MemoryPack.MemoryPackWriterOptionalStatePool.Rent(null);
            var results = new JobWriter(ref output, state);
            if (!call.TryRun(ref results, CancellationToken.None, out Task? pending))
            {
                results.Flush();
                pending!.GetAwaiter().GetResult();
            }
        }
        finally
        {
            output.Dispose();
        }
    }
}
