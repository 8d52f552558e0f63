using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace ParallelKit.Gpu;

/// <summary>
/// What the generated launchers and <see cref="KernelLaunch"/> call: the gate, where a launch runs, device
/// buffers for host memory, grouped launch configurations, and the kernel-named exceptions. Infrastructure for
/// generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GpuLaunch
{
    /// <summary>
    /// Held around every use of ILGPU's accelerator (allocations, copies, launches, synchronization): ILGPU
    /// does not support launching kernels on one accelerator from several threads at once (its CPU accelerator
    /// keeps the running kernel in shared state), so the launchers take turns. The CPU fast path does not
    /// touch ILGPU and does not take it. Re-entrant.
    /// </summary>
    public static readonly System.Threading.Lock Gate = new();

    /// <summary>
    /// Whether a launch runs as plain C# on the host: on <see cref="GpuAcceleratorKind.Cpu"/>, for kernels
    /// the generator could give a host copy (those without group semantics).
    /// </summary>
    /// <param name="hasHostCopy">Whether the generator emitted a host copy of the kernel.</param>
    internal static bool RunsOnHost(bool hasHostCopy) => hasHostCopy && GpuContext.Kind == GpuAcceleratorKind.Cpu;

    /// <summary>
    /// Allocates a device buffer holding a copy of <paramref name="data"/> (a span copied in). The copy has
    /// completed when this returns, while the span was pinned in this frame.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="data">The host span.</param>
    internal static unsafe MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(Accelerator accelerator, ReadOnlySpan<T> data)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        MemoryBuffer1D<T, Stride1D.Dense> buffer = accelerator.Allocate1D<T>(data.Length);
        try
        {
            if (!data.IsEmpty)
            {
                AcceleratorStream stream = accelerator.DefaultStream;
                fixed (T* first = data)
                {
                    buffer.View.CopyFromCPU(stream, ref *first, data.Length);
                    stream.Synchronize();
                }
            }

            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Allocates a device buffer of <paramref name="length"/> elements, not copied in (a span only copied out).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="length">The span's length.</param>
    internal static MemoryBuffer1D<T, Stride1D.Dense> AllocateFor<T>(Accelerator accelerator, int length)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator.Allocate1D<T>(length);
    }

    /// <summary>The view of a device array, checked to live on <paramref name="accelerator"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="accelerator">The accelerator the launch runs on.</param>
    /// <param name="array">The device array.</param>
    /// <param name="parameter">The parameter's name, for the message.</param>
    internal static ArrayView<T> ViewOn<T>(Accelerator accelerator, DeviceArray<T> array, string parameter)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array, parameter);
        if (!ReferenceEquals(array.Accelerator, accelerator))
        {
            throw new ArgumentException($"The device array lives on {array.Accelerator.Name}, not on {accelerator.Name}.", parameter);
        }

        return array.View;
    }

    /// <summary>
    /// The launch configuration of a kernel with group semantics over <paramref name="extent"/> indices: whole
    /// groups of <paramref name="groupSize"/> threads (or the accelerator's choice when 0), enough to cover the extent.
    /// </summary>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="extent">The number of indices.</param>
    /// <param name="groupSize">The kernel's <see cref="GpuKernelAttribute.GroupSize"/>.</param>
    /// <param name="kernelName">The kernel, for the message.</param>
    internal static KernelConfig GroupedConfig(Accelerator accelerator, Index1D extent, int groupSize, string kernelName)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        int size = groupSize > 0 ? groupSize : Math.Min(accelerator.MaxNumThreadsPerGroup, 256);
        if (size > accelerator.MaxNumThreadsPerGroup)
        {
            throw new GpuKernelException(kernelName, Describe(accelerator), $"its group size {size} is larger than the device supports ({accelerator.MaxNumThreadsPerGroup} threads per group).", buildLog: null, null);
        }

        int groups = Math.Max(1, (int)(((long)extent.X + size - 1) / size));
        return new KernelConfig(groups, size);
    }

    /// <summary>Whether a failure of a launch is rethrown as a <see cref="GpuKernelException"/> (not argument errors or cancellation).</summary>
    /// <param name="exception">What the launch threw.</param>
    public static bool IsKernelFailure(Exception exception)
        => exception is not (GpuKernelException or ArgumentException or OperationCanceledException or ObjectDisposedException);

    /// <summary>The exception a failed launch of <paramref name="kernelName"/> throws.</summary>
    /// <param name="kernelName">The kernel as messages show it.</param>
    /// <param name="exception">What the launch threw; an <see cref="AggregateException"/> from the host threads is unwrapped.</param>
    public static GpuKernelException Failed(string kernelName, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception cause = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : exception;
        string where = GpuContext.Kind == GpuAcceleratorKind.Cpu ? "the host" : GpuContext.DeviceName;
        return new GpuKernelException(kernelName, GpuContext.Describe(), $"the launch failed on {where}: {cause.Message}", buildLog: null, cause);
    }

    /// <summary>An accelerator as exceptions name it: the kind of the calling flow when it runs there, else ILGPU's type, and the device.</summary>
    /// <param name="accelerator">The accelerator.</param>
    internal static string Describe(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        string kind = accelerator.AcceleratorType switch
        {
            AcceleratorType.Cuda => "cuda",
            AcceleratorType.OpenCL => "opencl",
            _ => GpuContext.Name(GpuContext.Kind is GpuAcceleratorKind.Cpu ? GpuAcceleratorKind.Cpu : GpuAcceleratorKind.Emulator),
        };
        return $"{kind}: {accelerator.Name}";
    }
}
