using System;
using System.ComponentModel;
using System.Threading.Tasks;
using ILGPU;

namespace ParallelKit.Gpu;

/// <summary>
/// Runs a kernel's host copy over its range as plain multithreaded C#: the range is cut into a few
/// contiguous partitions per core, each run by one thread as a tight loop (which the JIT compiles like a
/// hand-written loop, the kernel body inlined). Small ranges run on the calling thread.
/// Infrastructure for generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HostLoop
{
    /// <summary>Below this many indices, a launch runs on the calling thread: starting threads would cost more.</summary>
    public const int SerialThreshold = 1 << 14;

    /// <summary>Partitions per core: a few, so that a core slowed by another process does not hold up the launch.</summary>
    private const int PartitionsPerCore = 4;

    /// <summary>Runs <paramref name="body"/> over partitions [start, end) of [0, <paramref name="length"/>).</summary>
    /// <param name="length">The number of indices.</param>
    /// <param name="body">Runs one partition.</param>
    public static void For(int length, Action<int, int> body) => For(length, 1, body);

    /// <summary>Runs <paramref name="rows"/> over partitions of the first dimension of <paramref name="extent"/>.</summary>
    /// <param name="extent">The launch's extent.</param>
    /// <param name="rows">Runs rows [start, end), all of the second dimension.</param>
    public static void For(Index2D extent, Action<int, int> rows) => For(extent.X, extent.Y, rows);

    /// <summary>Runs <paramref name="planes"/> over partitions of the first dimension of <paramref name="extent"/>.</summary>
    /// <param name="extent">The launch's extent.</param>
    /// <param name="planes">Runs planes [start, end), all of the other dimensions.</param>
    public static void For(Index3D extent, Action<int, int> planes) => For(extent.X, (long)extent.Y * extent.Z, planes);

    /// <summary>Completes when <paramref name="launch"/> has run on the thread pool.</summary>
    /// <param name="launch">A synchronous launch.</param>
    public static Task RunAsync(Action launch) => Task.Run(launch);

    /// <summary>Calls <paramref name="kernel"/> once per index of <paramref name="extent"/>, partitioned over threads like <see cref="For(int, Action{int, int})"/>.</summary>
    /// <param name="extent">The indices.</param>
    /// <param name="kernel">The kernel, over views of ILGPU's CPU accelerator.</param>
    public static void ForEach(Index1D extent, Action<Index1D> kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        For(extent.X, (start, end) =>
        {
            for (int x = start; x < end; x++)
            {
                kernel(new Index1D(x));
            }
        });
    }

    /// <summary>Calls <paramref name="kernel"/> once per index of <paramref name="extent"/>, rows partitioned over threads.</summary>
    /// <param name="extent">The indices.</param>
    /// <param name="kernel">The kernel, over views of ILGPU's CPU accelerator.</param>
    public static void ForEach(Index2D extent, Action<Index2D> kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        For(extent, (start, end) =>
        {
            for (int x = start; x < end; x++)
            {
                for (int y = 0; y < extent.Y; y++)
                {
                    kernel(new Index2D(x, y));
                }
            }
        });
    }

    /// <summary>Calls <paramref name="kernel"/> once per index of <paramref name="extent"/>, planes partitioned over threads.</summary>
    /// <param name="extent">The indices.</param>
    /// <param name="kernel">The kernel, over views of ILGPU's CPU accelerator.</param>
    public static void ForEach(Index3D extent, Action<Index3D> kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        For(extent, (start, end) =>
        {
            for (int x = start; x < end; x++)
            {
                for (int y = 0; y < extent.Y; y++)
                {
                    for (int z = 0; z < extent.Z; z++)
                    {
                        kernel(new Index3D(x, y, z));
                    }
                }
            }
        });
    }

    private static void For(int outer, long innerWork, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        long work = outer * Math.Max(innerWork, 1);
        int partitions = (int)Math.Min(outer, Math.Min(Environment.ProcessorCount * PartitionsPerCore, Math.Max(1, work / SerialThreshold)));
        if (partitions <= 1)
        {
            body(0, outer);
            return;
        }

        Parallel.For(0, partitions, p => body((int)((long)outer * p / partitions), (int)((long)outer * (p + 1) / partitions)));
    }
}
