using System;
using System.Threading;

namespace ParallelKit.Internal;

/// <summary>
/// Pays MemoryPack's one-time costs off the critical path. Its formatter provider's static constructor
/// registers every built-in formatter (~30 ms here), and the first writes and reads are JIT-compiled; a
/// worker would otherwise pay all that while its first job waits, and a parent while its first submit does.
/// Started in the background while processes spawn and sockets connect.
/// </summary>
internal static class MarshalingWarmup
{
    private static int s_started;

    public static void Start()
    {
        if (Interlocked.Exchange(ref s_started, 1) != 0)
        {
            return;
        }

        var thread = new Thread(Run) { IsBackground = true, Name = "ParallelKit warm-up", Priority = ThreadPriority.BelowNormal };
        thread.Start();
    }

    private static void Run()
    {
        try
        {
            // The formatter table, for jobs whose arguments or results are more than primitives and strings.
            _ = MemoryPack.MemoryPackFormatterProvider.IsRegistered<int[]>();

            // The same generic instantiations the job path uses: records are (count, index, key, arguments…).
            var buffer = new FrameBuffer(256);
            using (var state = MemoryPack.MemoryPackWriterOptionalStatePool.Rent(null))
            {
                var writer = new JobWriter(ref buffer, state);
                writer.Write(1);
                writer.Write(-1);
                writer.Write(0UL);
                writer.Write(0L);
                writer.Write(0.0);
                writer.Write(string.Empty);
                writer.Flush();
            }

            buffer.Write(0);
            var reader = new JobReader(buffer.WrittenSpan);
            try
            {
                _ = reader.Read<int>();
                _ = reader.Read<int>();
                _ = reader.Read<ulong>();
                _ = reader.Read<long>();
                _ = reader.Read<double>();
                _ = reader.Read<string>();
                _ = reader.Read<int>();
            }
            finally
            {
                reader.Dispose();
                buffer.Dispose();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or MemoryPack.MemoryPackSerializationException)
        {
            // A warm-up only: the real use reports any problem.
        }
    }
}
