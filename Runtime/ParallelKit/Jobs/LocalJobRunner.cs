using System;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit;

/// <summary>
/// Runs a <see cref="JobCall"/> in the calling thread, outside any server: a worker's initializer, a barrier's
/// action. The result, if any, is discarded; an exception propagates.
/// </summary>
internal static class LocalJobRunner
{
    /// <summary>Rebuilds a call from its key and marshaled arguments (<see cref="JobCall.MarshalKeyAndArguments"/>).</summary>
    /// <exception cref="InvalidOperationException">This process does not know the job.</exception>
    public static JobCall Decode(ReadOnlySpan<byte> keyAndArguments, string purpose)
    {
        WorkerHost.EnsureJobsRegistered();
        var reader = new JobReader(keyAndArguments);
        try
        {
            ulong key = reader.Read<ulong>();
            if (!JobRegistry.TryGet(key, out JobDecoder decoder, out _))
            {
                throw new InvalidOperationException(
                    $"This process has no job with key 0x{key:X16} to run as {purpose}: only executables with ParallelKit's generated entrypoint, and the libraries they reference, know their jobs.");
            }

            return decoder(ref reader);
        }
        finally
        {
            reader.Dispose();
        }
    }

    /// <summary>Runs the call to its end on this thread.</summary>
    public static void Run(JobCall call, CancellationToken cancellationToken = default)
    {
        var output = new Internal.FrameBuffer(256);
        try
        {
            using var state = MemoryPack.MemoryPackWriterOptionalStatePool.Rent(null);
            var results = new JobWriter(ref output, state);
            if (!call.TryRun(ref results, cancellationToken, out Task? pending))
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
