using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ParallelKit.Gpu;

namespace ParallelKit;

/// <summary>
/// An array kept in the accelerator's memory (<see cref="GpuContext.Accelerator"/>) between kernel
/// launches: the generated overloads that take <see cref="DeviceArray{T}"/>s copy nothing. Copy data in
/// with the constructor or <see cref="CopyFrom"/>, out with <see cref="CopyToHost"/> or <see cref="ToArray"/>,
/// and dispose it to free the device memory.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class DeviceArray<T> : IDisposable
    where T : unmanaged
{
    private readonly MemoryBuffer1D<T, Stride1D.Dense> _buffer;

    /// <summary>Allocates <paramref name="length"/> zeroed elements on the accelerator.</summary>
    /// <param name="length">The number of elements.</param>
    public DeviceArray(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Accelerator = GpuContext.Accelerator;
        using (GpuLaunch.Gate.EnterScope())
        {
            _buffer = Accelerator.Allocate1D<T>(length);
            _buffer.MemSetToZero();
            Accelerator.Synchronize();
        }
    }

    /// <summary>Allocates a copy of <paramref name="source"/> on the accelerator.</summary>
    /// <param name="source">The elements to copy in.</param>
    public DeviceArray(ReadOnlySpan<T> source)
    {
        Accelerator = GpuContext.Accelerator;
        using (GpuLaunch.Gate.EnterScope())
        {
            _buffer = Accelerator.Allocate1D<T>(source.Length);
        }

        CopyFrom(source);
    }

    /// <summary>Allocates a copy of <paramref name="source"/> on the accelerator.</summary>
    /// <param name="source">The elements to copy in.</param>
    public DeviceArray(T[] source)
        : this((ReadOnlySpan<T>)(source ?? throw new ArgumentNullException(nameof(source))))
    {
    }

    /// <summary>The accelerator whose memory holds the elements.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The number of elements.</summary>
    public int Length => (int)_buffer.Length;

    /// <summary>The elements as an ILGPU view, to pass to hand-written ILGPU launches.</summary>
    public ArrayView<T> View => _buffer.View;

    /// <summary>Copies <paramref name="source"/> in, from the first element on.</summary>
    /// <param name="source">At most <see cref="Length"/> elements.</param>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(source.Length, Length, nameof(source));
        if (source.Length > 0)
        {
            // Pinned for the copy: ILGPU takes a reference, and a compacting GC could move a managed array.
            using (GpuLaunch.Gate.EnterScope())
            {
                fixed (T* first = source)
                {
                    _buffer.View.SubView(0, source.Length).CopyFromCPU(ref *first, source.Length);
                }
            }
        }
    }

    /// <summary>Copies the first <c>destination.Length</c> elements out.</summary>
    /// <param name="destination">At most <see cref="Length"/> elements.</param>
    public void CopyToHost(Span<T> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destination.Length, Length, nameof(destination));
        if (destination.Length > 0)
        {
            using (GpuLaunch.Gate.EnterScope())
            {
                fixed (T* first = destination)
                {
                    _buffer.View.SubView(0, destination.Length).CopyToCPU(ref *first, destination.Length);
                }
            }
        }
    }

    /// <summary>Copies every element out into a new array.</summary>
    public T[] ToArray()
    {
        var result = new T[Length];
        CopyToHost(result);
        return result;
    }

    /// <summary>
    /// The elements as a <see cref="HostView{T}"/>, for the CPU fast path: valid only while the array is
    /// alive, and only on ILGPU's CPU accelerator, whose memory is the host's. Infrastructure for generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public HostView<T> GetHostView()
    {
        ObjectDisposedException.ThrowIf(_buffer.IsDisposed, this);
        if (Accelerator.AcceleratorType != AcceleratorType.CPU)
        {
            throw new InvalidOperationException("A device array is host memory only on the CPU accelerator.");
        }

        return new HostView<T>(_buffer.NativePtr, Length);
    }

    /// <summary>Frees the device memory.</summary>
    public void Dispose()
    {
        using (GpuLaunch.Gate.EnterScope())
        {
            _buffer.Dispose();
        }
    }
}
