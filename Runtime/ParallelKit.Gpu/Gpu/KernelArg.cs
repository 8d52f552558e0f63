using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;

namespace ParallelKit.Gpu;

/// <summary>
/// Makes the <see cref="KernelArg{T}"/> and <see cref="KernelArg2D{T}"/> a generated launcher hands its
/// kernel's one launch method, whatever the overload took: arrays, spans or device arrays. Infrastructure for
/// generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelArg
{
    /// <summary>A host array's elements.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="array">The array.</param>
    /// <param name="name">The parameter, for the null check's message.</param>
    /// <exception cref="ArgumentNullException"><paramref name="array"/> is null.</exception>
    public static KernelArg<T> Of<T>(T[] array, [CallerArgumentExpression(nameof(array))] string? name = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array, name);
        return new KernelArg<T>(array, device: null, name);
    }

    /// <summary>A host span the kernel writes (or reads and writes).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="span">The span.</param>
    public static KernelArg<T> Of<T>(Span<T> span)
        where T : unmanaged
        => new(span, device: null, name: null);

    /// <summary>A host span the kernel only reads: never written, only copied to a device or pinned for the host copy.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="span">The span.</param>
    public static KernelArg<T> Of<T>(ReadOnlySpan<T> span)
        where T : unmanaged
        => new(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(span), span.Length), device: null, name: null);

    /// <summary>A device array: its view on the device, its memory on the CPU fast path (where it lives on ILGPU's CPU accelerator).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="array">The device array.</param>
    /// <param name="name">The parameter, for messages.</param>
    /// <exception cref="ArgumentNullException"><paramref name="array"/> is null.</exception>
    public static KernelArg<T> Of<T>(DeviceArray<T> array, [CallerArgumentExpression(nameof(array))] string? name = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array, name);
        return new KernelArg<T>(default, array, name);
    }

    /// <summary>A rectangular host array's elements, row-major as <c>Stride2D.DenseY</c>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="array">The array.</param>
    /// <param name="name">The parameter, for the null check's message.</param>
    /// <exception cref="ArgumentNullException"><paramref name="array"/> is null.</exception>
    public static KernelArg2D<T> Of<T>(T[,] array, [CallerArgumentExpression(nameof(array))] string? name = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array, name);
        Span<T> elements = MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(array)), array.Length);
        return new KernelArg2D<T>(elements, new Index2D(array.GetLength(0), array.GetLength(1)));
    }
}

/// <summary>
/// One view argument of a launch: host memory (an array's or a span's elements) or a <see cref="DeviceArray{T}"/>.
/// Infrastructure for generated code.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly ref struct KernelArg<T>
    where T : unmanaged
{
    internal KernelArg(Span<T> host, DeviceArray<T>? device, string? name)
    {
        Host = host;
        Device = device;
        Name = name;
    }

    /// <summary>The number of elements.</summary>
    public int Length => Device?.Length ?? Host.Length;

    /// <summary>The launch extent it gives a one-dimensional kernel: one index per element.</summary>
    public Index1D Extent => new(Length);

    /// <summary>
    /// The memory the CPU fast path pins: the host memory, or the device array's (host memory on ILGPU's CPU
    /// accelerator, which is where device arrays live when kernels run on the CPU fast path).
    /// </summary>
    public unsafe ReadOnlySpan<byte> Bytes => Device is null
        ? MemoryMarshal.AsBytes(Host)
        : new ReadOnlySpan<byte>((void*)Device.GetHostView().Address, Device.Length * sizeof(T));

    /// <summary>The host memory, empty for a device array.</summary>
    internal Span<T> Host { get; }

    /// <summary>The device array, or null for host memory.</summary>
    internal DeviceArray<T>? Device { get; }

    /// <summary>The parameter, for messages, or null.</summary>
    internal string? Name { get; }
}

/// <summary>One two-dimensional view argument of a launch: a rectangular host array's elements and shape. Infrastructure for generated code.</summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly ref struct KernelArg2D<T>
    where T : unmanaged
{
    internal KernelArg2D(Span<T> host, Index2D extent)
    {
        Host = host;
        Extent = extent;
    }

    /// <summary>The array's shape: the launch extent it gives a two-dimensional kernel.</summary>
    public Index2D Extent { get; }

    /// <summary>The memory the CPU fast path pins.</summary>
    public ReadOnlySpan<byte> Bytes => MemoryMarshal.AsBytes(Host);

    /// <summary>The elements, row-major.</summary>
    internal Span<T> Host { get; }
}
