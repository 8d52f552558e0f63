using System;

namespace ParallelKit;

/// <summary>
/// Marks a static ILGPU-style kernel: its first parameter is the thread's index (<c>Index1D</c>,
/// <c>Index2D</c> or <c>Index3D</c>), the others are <c>ArrayView</c>s and unmanaged scalars. The
/// generator adds host overloads of the same name to the (partial) containing type that take arrays,
/// spans (one-dimensional kernels: <c>Span&lt;T&gt;</c> for views written, <c>ReadOnlySpan&lt;T&gt;</c> for views
/// only read) or <see cref="DeviceArray{T}"/>s, copy each array or span in, out or both as the body uses it,
/// and launch the kernel on the accelerator <see cref="GpuContext"/> picked.
/// </summary>
/// <example>
/// <code>
/// public static partial class Kernels
/// {
///     [GpuKernel]
///     public static void MultiplyThem(Index1D i, ArrayView&lt;float&gt; dest, ArrayView&lt;float&gt; a, ArrayView&lt;float&gt; b)
///         =&gt; dest[i] = a[i] * b[i];
/// }
///
/// Kernels.MultiplyThem(dest, a, b); // a and b copied in, dest copied out
/// Kernels.MultiplyThem(dest.AsSpan(10, 100), a.AsSpan(10, 100), b.AsSpan(10, 100)); // the same over slices
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class GpuKernelAttribute : Attribute
{
    /// <summary>
    /// The number of threads per group for kernels that use group semantics (shared memory, barriers,
    /// warp or group intrinsics); 0, the default, lets the accelerator choose. Such kernels are launched
    /// in whole groups, so their index can run past the extent: they must check it. Ignored by other kernels.
    /// </summary>
    public int GroupSize { get; init; }
}
