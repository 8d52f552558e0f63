using System;
using System.Collections.Generic;
using System.Linq;

namespace ParallelKit.Gpu;

/// <summary>
/// Which device a process (or a test flow) runs kernels on, and why a kind cannot be had: CUDA, then a GPU
/// OpenCL device, then the CPU fast path. An OpenCL implementation that runs on the CPU (pocl) is slower than
/// the CPU fast path (it copies every argument), so it is taken only when <c>opencl</c> is asked for.
/// Plain data in, so the rules are tested without a device.
/// </summary>
internal static class AcceleratorChoice
{
    /// <summary>The device the process runs on by default or as <paramref name="forced"/> names, or null for the CPU accelerator.</summary>
    /// <param name="seen">Every device discovery reported, usable or not, in ILGPU's order.</param>
    /// <param name="forced">The kind <see cref="GpuContext.AcceleratorVariable"/> names, or null.</param>
    /// <param name="libraryProblem">Why a kind's native library could not be loaded, or null when it loads.</param>
    /// <exception cref="InvalidOperationException">A forced GPU kind has no usable device; the message says why.</exception>
    public static SeenDevice? Pick(IReadOnlyList<SeenDevice> seen, GpuAcceleratorKind? forced, Func<GpuAcceleratorKind, string?> libraryProblem)
    {
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(libraryProblem);
        switch (forced)
        {
            case GpuAcceleratorKind.Cpu or GpuAcceleratorKind.Emulator:
                return null;
            case GpuAcceleratorKind.Cuda or GpuAcceleratorKind.OpenCL:
                return Best(seen, forced.Value)
                    ?? throw new InvalidOperationException($"{GpuContext.AcceleratorVariable}={GpuContext.Name(forced.Value)}, but {WhyNone(seen, forced.Value, libraryProblem(forced.Value))}");
            default:
                return Best(seen, GpuAcceleratorKind.Cuda)
                    ?? seen.FirstOrDefault(static d => d is { Kind: GpuAcceleratorKind.OpenCL, IsGpu: true, IsUsable: true });
        }
    }

    /// <summary>The device a flow asking for <paramref name="kind"/> gets: the first usable one, a GPU before a CPU implementation.</summary>
    /// <param name="seen">Every device discovery reported.</param>
    /// <param name="kind"><see cref="GpuAcceleratorKind.Cuda"/> or <see cref="GpuAcceleratorKind.OpenCL"/>.</param>
    public static SeenDevice? Best(IReadOnlyList<SeenDevice> seen, GpuAcceleratorKind kind)
    {
        ArgumentNullException.ThrowIfNull(seen);
        return seen.FirstOrDefault(d => d.Kind == kind && d.IsGpu && d.IsUsable)
            ?? seen.FirstOrDefault(d => d.Kind == kind && d.IsUsable);
    }

    /// <summary>
    /// Why no <paramref name="kind"/> device can run kernels, as the end of a sentence: the library could not
    /// be loaded, it reported no device, or each device it reported and the capability it lacks.
    /// </summary>
    /// <param name="seen">Every device discovery reported.</param>
    /// <param name="kind">The kind asked for.</param>
    /// <param name="libraryProblem">Why the kind's native library could not be loaded, or null.</param>
    public static string WhyNone(IReadOnlyList<SeenDevice> seen, GpuAcceleratorKind kind, string? libraryProblem)
    {
        ArgumentNullException.ThrowIfNull(seen);
        string name = GpuContext.Name(kind);
        if (libraryProblem is not null)
        {
            return $"no {name} device can be used: {libraryProblem}";
        }

        SeenDevice[] ofKind = [.. seen.Where(d => d.Kind == kind)];
        return ofKind.Length == 0
            ? $"no {name} device can be used: the {name} library loaded but reported no device{(kind == GpuAcceleratorKind.OpenCL ? " (is an ICD registered under /etc/OpenCL/vendors?)" : string.Empty)}."
            : $"no {name} device can be used; devices seen: {string.Join("; ", ofKind.Select(static d => d.ToString()))}.";
    }

    /// <summary>
    /// Why ILGPU's OpenCL backend filters a device out, or null when it does not: ILGPU 1.5 needs OpenCL C
    /// 2.0 or later and the generic address space (optional in OpenCL 3.0; pocl 3.1 lacks it, pocl 6 has it).
    /// </summary>
    /// <param name="cVersion">The device's OpenCL C version (<c>major.minor</c>).</param>
    /// <param name="minimumCVersion">The version ILGPU requires.</param>
    /// <param name="genericAddressSpace">Whether the device supports the generic address space.</param>
    public static string? OpenCLProblem(Version cVersion, Version minimumCVersion, bool genericAddressSpace)
    {
        ArgumentNullException.ThrowIfNull(cVersion);
        ArgumentNullException.ThrowIfNull(minimumCVersion);
        var problems = new List<string>(2);
        if (cVersion < minimumCVersion)
        {
            problems.Add($"OpenCL C {cVersion} is older than the {minimumCVersion} ILGPU needs");
        }

        if (!genericAddressSpace)
        {
            problems.Add("no generic address space support (an OpenCL C 2.0 feature ILGPU's OpenCL backend needs)");
        }

        return problems.Count == 0 ? null : "filtered out by ILGPU: " + string.Join(" and ", problems);
    }
}
