using ILGPU.Runtime;

namespace ParallelKit.Gpu;

/// <summary>
/// A device ILGPU's discovery reported, usable or not, as the accelerator choice sees it: kept apart from
/// ILGPU's <see cref="Device"/> so that the choice and its messages are plain data, testable without a device.
/// </summary>
/// <param name="Kind"><see cref="GpuAcceleratorKind.Cuda"/> or <see cref="GpuAcceleratorKind.OpenCL"/>.</param>
/// <param name="Name">The device's name, with its platform for OpenCL (<c>cpu-haswell (Portable Computing Language, OpenCL C 1.2)</c>).</param>
/// <param name="IsGpu">Whether the driver reports a GPU (an OpenCL CPU implementation such as pocl does not).</param>
/// <param name="Unusable">Why ILGPU cannot use it (its default device filter), or null when it can.</param>
/// <param name="Device">The device registered in ILGPU's context, null when <paramref name="Unusable"/> is set.</param>
internal sealed record SeenDevice(GpuAcceleratorKind Kind, string Name, bool IsGpu, string? Unusable, Device? Device)
{
    /// <summary>Whether kernels can run on it.</summary>
    public bool IsUsable => Unusable is null && Device is not null;

    /// <summary>The device for messages: its name, whether it is a GPU, and why it is filtered out.</summary>
    public override string ToString()
        => $"'{Name}' ({(IsGpu ? "GPU" : "not a GPU")}){(Unusable is null ? string.Empty : ": " + Unusable)}";
}
