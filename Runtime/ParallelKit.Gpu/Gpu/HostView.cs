using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ILGPU;

namespace ParallelKit.Gpu;

/// <summary>
/// What an <c>ArrayView&lt;T&gt;</c> parameter becomes in the host copy of a kernel that the generator
/// emits for the CPU fast path: pinned host memory with the members a kernel body reads on a view
/// (its indexers, <c>Length</c>, <c>IntLength</c>, <c>Extent</c>, <c>IntExtent</c>), bounds-checked.
/// Infrastructure for generated code.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[SuppressMessage("Performance", "CA1815:Override equals and operator equals on value types", Justification = "A view, compared by nobody, as ILGPU's ArrayView.")]
public readonly unsafe struct HostView<T>
    where T : unmanaged
{
    private readonly T* _pointer;
    private readonly int _length;

    /// <summary>Creates a view of <paramref name="length"/> elements at <paramref name="address"/>, which the caller keeps pinned.</summary>
    /// <param name="address">The first element.</param>
    /// <param name="length">The number of elements.</param>
    public HostView(IntPtr address, int length)
    {
        _pointer = (T*)address;
        _length = length;
    }

    /// <summary>Creates a view of the elements of a span the runtime pinned (<see cref="HostSpans.Pin"/>).</summary>
    /// <param name="pinned">The pinned span.</param>
    public HostView(PinnedSpan pinned)
        : this(pinned.Address, pinned.ByteLength / sizeof(T))
    {
    }

    /// <summary>The number of elements, as <c>ArrayView&lt;T&gt;.Length</c>.</summary>
    public long Length => _length;

    /// <summary>The first element's address.</summary>
    internal IntPtr Address => (IntPtr)_pointer;

    /// <summary>The number of elements as an <see cref="int"/>, as <c>ArrayView&lt;T&gt;.IntLength</c>.</summary>
    public int IntLength => _length;

    /// <summary>The extent, as <c>ArrayView&lt;T&gt;.Extent</c>.</summary>
    public LongIndex1D Extent => new(_length);

    /// <summary>The extent as an <see cref="Index1D"/>, as <c>ArrayView&lt;T&gt;.IntExtent</c>.</summary>
    public Index1D IntExtent => new(_length);

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <param name="index">The element's index.</param>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)_length)
            {
                ThrowOutOfRange(index);
            }

            return ref _pointer[index];
        }
    }

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <param name="index">The element's index.</param>
    public ref T this[long index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((ulong)index >= (ulong)_length)
            {
                ThrowOutOfRange(index);
            }

            return ref _pointer[index];
        }
    }

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <param name="index">The element's index.</param>
    public ref T this[Index1D index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref this[index.X];
    }

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <param name="index">The element's index.</param>
    public ref T this[LongIndex1D index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref this[index.X];
    }

    [DoesNotReturn]
    [SuppressMessage("Usage", "CA2201:Do not raise reserved exception types", Justification = "What an array throws for the same mistake.")]
    private static void ThrowOutOfRange(long index)
        => throw new IndexOutOfRangeException($"Index {index} is outside the view's bounds.");
}

/// <summary>
/// What an <c>ArrayView2D&lt;T, Stride2D.DenseY&gt;</c> parameter becomes in the host copy of a kernel:
/// a pinned <c>T[,]</c> (row-major, as DenseY) with a view's indexers, <c>Length</c>, <c>IntLength</c>,
/// <c>Extent</c> and <c>IntExtent</c>, bounds-checked. Infrastructure for generated code.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[SuppressMessage("Performance", "CA1815:Override equals and operator equals on value types", Justification = "A view, compared by nobody, as ILGPU's ArrayView2D.")]
public readonly unsafe struct HostView2D<T>
    where T : unmanaged
{
    private readonly T* _pointer;
    private readonly int _x;
    private readonly int _y;

    /// <summary>Creates a view of <paramref name="x"/> by <paramref name="y"/> elements at <paramref name="address"/>, row-major.</summary>
    /// <param name="address">The first element, which the caller keeps pinned.</param>
    /// <param name="x">The extent of the first (slow) dimension.</param>
    /// <param name="y">The extent of the second (dense) dimension.</param>
    public HostView2D(IntPtr address, int x, int y)
    {
        _pointer = (T*)address;
        _x = x;
        _y = y;
    }

    /// <summary>Creates a view of a rectangular array the runtime pinned (<see cref="HostSpans.Pin"/>).</summary>
    /// <param name="pinned">The pinned elements.</param>
    /// <param name="extent">The array's shape.</param>
    public HostView2D(PinnedSpan pinned, Index2D extent)
        : this(pinned.Address, extent.X, extent.Y)
    {
    }

    /// <summary>The number of elements.</summary>
    public long Length => (long)_x * _y;

    /// <summary>The number of elements as an <see cref="int"/>.</summary>
    public int IntLength => checked(_x * _y);

    /// <summary>The extent, as <c>ArrayView2D.Extent</c>.</summary>
    public LongIndex2D Extent => new(_x, _y);

    /// <summary>The extent as an <see cref="Index2D"/>, as <c>ArrayView2D.IntExtent</c>.</summary>
    public Index2D IntExtent => new(_x, _y);

    /// <summary>The element at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="x">The index in the first dimension.</param>
    /// <param name="y">The index in the second dimension.</param>
    public ref T this[int x, int y]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)x >= (uint)_x || (uint)y >= (uint)_y)
            {
                ThrowOutOfRange(x, y);
            }

            return ref _pointer[((long)x * _y) + y];
        }
    }

    /// <summary>The element at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="x">The index in the first dimension.</param>
    /// <param name="y">The index in the second dimension.</param>
    public ref T this[long x, long y]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((ulong)x >= (ulong)_x || (ulong)y >= (ulong)_y)
            {
                ThrowOutOfRange(x, y);
            }

            return ref _pointer[(x * _y) + y];
        }
    }

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <param name="index">The element's index.</param>
    public ref T this[Index2D index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref this[index.X, index.Y];
    }

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <param name="index">The element's index.</param>
    public ref T this[LongIndex2D index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref this[index.X, index.Y];
    }

    [DoesNotReturn]
    [SuppressMessage("Usage", "CA2201:Do not raise reserved exception types", Justification = "What an array throws for the same mistake.")]
    private static void ThrowOutOfRange(long x, long y)
        => throw new IndexOutOfRangeException($"Index ({x}, {y}) is outside the view's bounds.");
}
