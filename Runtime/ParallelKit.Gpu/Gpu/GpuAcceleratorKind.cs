namespace ParallelKit;

/// <summary>Where <c>[GpuKernel]</c> launches run.</summary>
public enum GpuAcceleratorKind
{
    /// <summary>An NVIDIA GPU through ILGPU's CUDA backend.</summary>
    Cuda,

    /// <summary>An OpenCL device through ILGPU's OpenCL backend.</summary>
    OpenCL,

    /// <summary>
    /// The CPU, as plain multithreaded C#: the generated code runs the kernel's body per index over
    /// partitions of the range. Kernels with group semantics run on the <see cref="Emulator"/> instead.
    /// </summary>
    Cpu,

    /// <summary>ILGPU's CPU accelerator, which emulates a GPU's groups and warps exactly (and slowly): for debugging.</summary>
    Emulator,
}
