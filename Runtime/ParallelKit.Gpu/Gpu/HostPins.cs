using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace ParallelKit.Gpu;

/// <summary>
/// Pins the arrays of one host launch for as long as it runs, and hands out <see cref="HostView{T}"/>s of
/// them. Infrastructure for generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class HostPins : IDisposable
{
    private readonly List<GCHandle> _handles = new(4);

    /// <summary>Pins <paramref name="array"/> and returns a view of it.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="array">The array.</param>
    public HostView<T> Pin<T>(T[] array)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array);
        GCHandle handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        _handles.Add(handle);
        return new HostView<T>(handle.AddrOfPinnedObject(), array.Length);
    }

    /// <summary>Pins <paramref name="array"/> and returns a row-major view of it.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="array">The array.</param>
    public HostView2D<T> Pin<T>(T[,] array)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array);
        GCHandle handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        _handles.Add(handle);
        return new HostView2D<T>(handle.AddrOfPinnedObject(), array.GetLength(0), array.GetLength(1));
    }

    /// <summary>Unpins every array.</summary>
    public void Dispose()
    {
        foreach (GCHandle handle in _handles)
        {
            handle.Free();
        }

        _handles.Clear();
    }
}
