using System;

namespace ParallelKit;

/// <summary>
/// A <c>[GpuKernel]</c> launch failed: ILGPU could not compile the kernel for the accelerator, the
/// accelerator rejected the launch, or the kernel faulted. The message names the kernel; the inner
/// exception is ILGPU's.
/// </summary>
public sealed class GpuKernelException : Exception
{
    /// <summary>Creates an exception for a failed launch of <paramref name="kernelName"/>.</summary>
    /// <param name="kernelName">The kernel as messages show it (<c>Namespace.Type.Method</c>).</param>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">ILGPU's exception, or null.</param>
    public GpuKernelException(string kernelName, string message, Exception? innerException)
        : base($"GPU kernel '{kernelName}': {message}", innerException)
    {
        KernelName = kernelName;
    }

    /// <summary>Creates an exception with a message and no kernel name.</summary>
    /// <param name="message">What failed.</param>
    public GpuKernelException(string message)
        : base(message)
    {
        KernelName = string.Empty;
    }

    /// <summary>Creates an exception with a message and an inner exception, and no kernel name.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public GpuKernelException(string message, Exception innerException)
        : base(message, innerException)
    {
        KernelName = string.Empty;
    }

    /// <summary>Creates an exception with no message.</summary>
    public GpuKernelException()
    {
        KernelName = string.Empty;
    }

    /// <summary>The kernel whose launch failed (<c>Namespace.Type.Method</c>), or empty.</summary>
    public string KernelName { get; }
}
