using System;
using System.Collections.Generic;
using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime;

namespace ParallelKit.Gpu;

/// <summary>
/// One launch of a generated launcher, from the choice of path to the last copy: on the CPU fast path it
/// holds nothing; on an accelerator it takes its turn at <see cref="GpuLaunch.Gate"/>, holds the flow's
/// accelerator and stream, makes the device copies of host memory (uploaded or only allocated, as the kernel
/// reads or writes each view), copies results back, and frees the copies and the gate when disposed.
/// Every overload of a kernel (arrays, spans, device arrays) ends in one generated method that drives this.
/// Infrastructure for generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class KernelLaunch : IDisposable
{
    private readonly List<MemoryBuffer> _buffers = [];
    private readonly Accelerator? _accelerator;
    private bool _holdsGate;

    /// <summary>Chooses the path and, off the CPU fast path, takes the gate.</summary>
    /// <param name="kernelName">The kernel as messages show it (<c>Namespace.Type.Method</c>).</param>
    /// <param name="hasHostCopy">Whether the generator emitted a host copy of the kernel (the CPU fast path).</param>
    /// <exception cref="InvalidOperationException">The accelerator asked for cannot be had; the message says why.</exception>
    public KernelLaunch(string kernelName, bool hasHostCopy)
    {
        KernelName = kernelName;
        OnHost = GpuLaunch.RunsOnHost(hasHostCopy);
        if (!OnHost)
        {
            _accelerator = GpuContext.Accelerator;
            GpuLaunch.Gate.Enter();
            _holdsGate = true;
        }
    }

    /// <summary>The kernel as messages show it.</summary>
    public string KernelName { get; }

    /// <summary>Whether the launch runs the host copy as plain C# over the caller's memory (the CPU fast path).</summary>
    public bool OnHost { get; }

    /// <summary>
    /// Whether a kernel without a host copy is called per index on this thread's pool over views of ILGPU's CPU
    /// accelerator, instead of through ILGPU's launch: on <see cref="GpuAcceleratorKind.Cpu"/>.
    /// </summary>
    public bool CallsKernelOnHost => !OnHost && GpuContext.Kind == GpuAcceleratorKind.Cpu;

    /// <summary>The accelerator the launch runs on.</summary>
    /// <exception cref="InvalidOperationException">On the CPU fast path.</exception>
    public Accelerator Accelerator => _accelerator ?? throw new InvalidOperationException("A launch on the CPU fast path has no accelerator.");

    /// <summary>The stream the launch and its copies run on.</summary>
    public AcceleratorStream Stream => Accelerator.DefaultStream;

    /// <summary>The view a kernel only reads: a device array's own, or a copy of host memory uploaded now.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="argument">The argument.</param>
    public ArrayView<T> In<T>(KernelArg<T> argument)
        where T : unmanaged
        => argument.Device is not null ? On(argument) : Keep(GpuLaunch.Upload(Accelerator, (ReadOnlySpan<T>)argument.Host)).View;

    /// <summary>The view a kernel only writes: a device array's own, or device memory for host memory, not uploaded; copy it back with <see cref="CopyBack{T}(ArrayView{T}, KernelArg{T})"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="argument">The argument.</param>
    public ArrayView<T> Out<T>(KernelArg<T> argument)
        where T : unmanaged
        => argument.Device is not null ? On(argument) : Keep(GpuLaunch.AllocateFor<T>(Accelerator, argument.Length)).View;

    /// <summary>The view a kernel reads and writes: as <see cref="In{T}(KernelArg{T})"/>, and copy it back.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="argument">The argument.</param>
    public ArrayView<T> InOut<T>(KernelArg<T> argument)
        where T : unmanaged
        => In(argument);

    /// <summary>The view a kernel only reads: a copy of the array uploaded now.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="argument">The argument.</param>
    public unsafe ArrayView2D<T, Stride2D.DenseY> In<T>(KernelArg2D<T> argument)
        where T : unmanaged
    {
        MemoryBuffer2D<T, Stride2D.DenseY> buffer = Keep(Accelerator.Allocate2DDenseY<T>(argument.Extent));
        if (!argument.Host.IsEmpty)
        {
            // Pinned until the copy has completed, as GpuLaunch.Upload.
            fixed (T* first = argument.Host)
            {
                buffer.View.AsContiguous().CopyFromCPU(Stream, ref *first, argument.Host.Length);
                Stream.Synchronize();
            }
        }

        return buffer.View;
    }

    /// <summary>The view a kernel only writes: device memory of the array's shape, not uploaded.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="argument">The argument.</param>
    public ArrayView2D<T, Stride2D.DenseY> Out<T>(KernelArg2D<T> argument)
        where T : unmanaged
        => Keep(Accelerator.Allocate2DDenseY<T>(argument.Extent)).View;

    /// <summary>The view a kernel reads and writes: as <see cref="In{T}(KernelArg2D{T})"/>, and copy it back.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="argument">The argument.</param>
    public ArrayView2D<T, Stride2D.DenseY> InOut<T>(KernelArg2D<T> argument)
        where T : unmanaged
        => In(argument);

    /// <summary>Copies what the kernel wrote back into host memory once the launch has run (nothing for a device array).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="view">The view the kernel wrote.</param>
    /// <param name="argument">The argument it came from.</param>
    public unsafe void CopyBack<T>(ArrayView<T> view, KernelArg<T> argument)
        where T : unmanaged
    {
        if (argument.Device is not null || argument.Host.IsEmpty)
        {
            return;
        }

        // Pinned until the copy has completed: a compacting GC on another thread could move an array.
        fixed (T* first = argument.Host)
        {
            view.CopyToCPU(Stream, ref *first, argument.Host.Length);
            Stream.Synchronize();
        }
    }

    /// <summary>Copies what the kernel wrote back into the array once the launch has run.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="view">The view the kernel wrote.</param>
    /// <param name="argument">The argument it came from.</param>
    public unsafe void CopyBack<T>(ArrayView2D<T, Stride2D.DenseY> view, KernelArg2D<T> argument)
        where T : unmanaged
    {
        if (argument.Host.IsEmpty)
        {
            return;
        }

        fixed (T* first = argument.Host)
        {
            view.AsContiguous().CopyToCPU(Stream, ref *first, argument.Host.Length);
            Stream.Synchronize();
        }
    }

    /// <summary>The launch configuration of a kernel with group semantics (<see cref="GpuLaunch.GroupedConfig"/>).</summary>
    /// <param name="extent">The number of indices.</param>
    /// <param name="groupSize">The kernel's group size, or 0 for the accelerator's choice.</param>
    public KernelConfig Grouped(Index1D extent, int groupSize) => GpuLaunch.GroupedConfig(Accelerator, extent, groupSize, KernelName);

    /// <summary>Waits until the launch and its copies have run.</summary>
    public void Complete()
    {
        if (!OnHost)
        {
            Stream.Synchronize();
        }
    }

    /// <summary>The exception a failed launch throws: the kernel, the accelerator, the cause.</summary>
    /// <param name="exception">What the launch threw.</param>
    public GpuKernelException Failed(Exception exception) => GpuLaunch.Failed(KernelName, exception);

    /// <summary>Frees the device copies and leaves the gate.</summary>
    public void Dispose()
    {
        foreach (MemoryBuffer buffer in _buffers)
        {
            buffer.Dispose();
        }

        _buffers.Clear();
        if (_holdsGate)
        {
            _holdsGate = false;
            GpuLaunch.Gate.Exit();
        }
    }

    private ArrayView<T> On<T>(KernelArg<T> argument)
        where T : unmanaged
        => GpuLaunch.ViewOn(Accelerator, argument.Device!, argument.Name ?? "array");

    private TBuffer Keep<TBuffer>(TBuffer buffer)
        where TBuffer : MemoryBuffer
    {
        _buffers.Add(buffer);
        return buffer;
    }
}
