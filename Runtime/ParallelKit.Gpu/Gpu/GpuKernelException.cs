using System;

namespace ParallelKit;

/// <summary>
/// A <c>[GpuKernel]</c> launch failed: ILGPU could not compile the kernel for the accelerator, the
/// driver could not build it, the accelerator rejected the launch, or the kernel faulted. The message names
/// the kernel and the accelerator and, when the driver built it, ends with the driver's build log; the inner
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

    /// <summary>Creates an exception for a failed build or launch of <paramref name="kernelName"/> on <paramref name="accelerator"/>.</summary>
    /// <param name="kernelName">The kernel as messages show it (<c>Namespace.Type.Method</c>).</param>
    /// <param name="accelerator">Where it failed, as <see cref="GpuContext.Describe"/> says it (<c>opencl: cpu-haswell</c>).</param>
    /// <param name="message">What failed.</param>
    /// <param name="buildLog">The driver's build log, or null when there is none.</param>
    /// <param name="innerException">ILGPU's exception, or null.</param>
    public GpuKernelException(string kernelName, string accelerator, string message, string? buildLog, Exception? innerException)
        : base(Compose(kernelName, accelerator, message, buildLog), innerException)
    {
        KernelName = kernelName;
        Accelerator = accelerator;
        BuildLog = string.IsNullOrWhiteSpace(buildLog) ? null : buildLog;
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

    /// <summary>Where the launch failed (<c>opencl: cpu-haswell</c>, <c>cuda: NVIDIA H100</c>, <c>cpu: …</c>), or empty.</summary>
    public string Accelerator { get; } = string.Empty;

    /// <summary>The driver's build log when the driver could not build the kernel (OpenCL), or null.</summary>
    public string? BuildLog { get; }

    private static string Compose(string kernelName, string accelerator, string message, string? buildLog)
        => string.IsNullOrWhiteSpace(buildLog)
            ? $"GPU kernel '{kernelName}' on {accelerator}: {message}"
            : $"GPU kernel '{kernelName}' on {accelerator}: {message}{Environment.NewLine}Build log:{Environment.NewLine}{buildLog.TrimEnd()}";
}
