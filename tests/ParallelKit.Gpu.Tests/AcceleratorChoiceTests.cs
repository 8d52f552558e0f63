using System;
using System.Diagnostics;
using ILGPU.Runtime.OpenCL;
using Xunit;

namespace ParallelKit.Gpu.Tests;

/// <summary>
/// Which device a process runs on and what it says when a forced kind cannot be had, over plain device
/// lists (no device needed), and the build log a driver's failure carries.
/// </summary>
public sealed class AcceleratorChoiceTests
{
    private static readonly SeenDevice Pocl = Usable(GpuAcceleratorKind.OpenCL, "cpu-haswell (Portable Computing Language, OpenCL C 3.0)", isGpu: false);
    private static readonly SeenDevice OpenCLGpu = Usable(GpuAcceleratorKind.OpenCL, "gfx1100 (AMD Accelerated Parallel Processing, OpenCL C 2.0)", isGpu: true);
    private static readonly SeenDevice Cuda = Usable(GpuAcceleratorKind.Cuda, "NVIDIA H100", isGpu: true);

    private static readonly SeenDevice OldPocl = new(
        GpuAcceleratorKind.OpenCL,
        "pthread-haswell (Portable Computing Language, OpenCL C 1.2)",
        IsGpu: false,
        AcceleratorChoice.OpenCLProblem(new Version(1, 2), new Version(2, 0), genericAddressSpace: false),
        Device: null);

    [Fact]
    public void Cuda_comes_first_then_an_OpenCL_gpu_then_the_cpu_fast_path()
    {
        Assert.Same(Cuda, AcceleratorChoice.Pick([Pocl, OpenCLGpu, Cuda], forced: null, NoLibraryProblem));
        Assert.Same(OpenCLGpu, AcceleratorChoice.Pick([Pocl, OpenCLGpu], forced: null, NoLibraryProblem));
        Assert.Null(AcceleratorChoice.Pick([], forced: null, NoLibraryProblem));
    }

    [Fact]
    public void A_cpu_OpenCL_implementation_is_used_only_when_asked_for()
    {
        // The old choice took any OpenCL device: pocl became the default and the CPU fast path went unused.
        Assert.Null(AcceleratorChoice.Pick([Pocl], forced: null, NoLibraryProblem));
        Assert.Same(Pocl, AcceleratorChoice.Pick([Pocl], GpuAcceleratorKind.OpenCL, NoLibraryProblem));
        Assert.Same(OpenCLGpu, AcceleratorChoice.Pick([Pocl, OpenCLGpu], GpuAcceleratorKind.OpenCL, NoLibraryProblem));
        Assert.Null(AcceleratorChoice.Pick([Cuda, Pocl], GpuAcceleratorKind.Cpu, NoLibraryProblem));
    }

    [Fact]
    public void A_forced_kind_filtered_out_names_the_device_and_the_missing_capability()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AcceleratorChoice.Pick([OldPocl, Cuda], GpuAcceleratorKind.OpenCL, NoLibraryProblem));

        Assert.StartsWith("PARALLELKIT_ACCELERATOR=opencl, but no opencl device can be used", error.Message, StringComparison.Ordinal);
        Assert.Contains("pthread-haswell (Portable Computing Language, OpenCL C 1.2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("OpenCL C 1.2 is older than the 2.0 ILGPU needs", error.Message, StringComparison.Ordinal);
        Assert.Contains("no generic address space support", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_forced_kind_whose_library_is_missing_or_has_no_device_says_so()
    {
        var missing = Assert.Throws<InvalidOperationException>(() => AcceleratorChoice.Pick([], GpuAcceleratorKind.OpenCL, static _ => "libOpenCL.so could not be loaded."));
        var none = Assert.Throws<InvalidOperationException>(() => AcceleratorChoice.Pick([Pocl], GpuAcceleratorKind.Cuda, NoLibraryProblem));

        Assert.Contains("libOpenCL.so could not be loaded", missing.Message, StringComparison.Ordinal);
        Assert.Contains("the cuda library loaded but reported no device", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_OpenCL_device_with_what_ILGPU_needs_has_no_problem()
    {
        Assert.Null(AcceleratorChoice.OpenCLProblem(new Version(3, 0), new Version(2, 0), genericAddressSpace: true));
        Assert.Equal(
            "filtered out by ILGPU: no generic address space support (an OpenCL C 2.0 feature ILGPU's OpenCL backend needs)",
            AcceleratorChoice.OpenCLProblem(new Version(3, 0), new Version(2, 0), genericAddressSpace: false));
    }

    [Fact]
    public void The_kinds_without_a_device_here_say_why_and_the_cpu_kinds_are_always_there()
    {
        Assert.Null(GpuContext.WhyUnavailable(GpuAcceleratorKind.Cpu));
        Assert.Null(GpuContext.WhyUnavailable(GpuAcceleratorKind.Emulator));
        foreach (GpuAcceleratorKind kind in (GpuAcceleratorKind[])[GpuAcceleratorKind.Cuda, GpuAcceleratorKind.OpenCL])
        {
            string? why = GpuContext.WhyUnavailable(kind);
            if (why is null)
            {
                using IDisposable _ = GpuContext.Use(kind);
                Assert.Equal(kind, GpuContext.Kind);
            }
            else
            {
                Assert.Contains($"no {GpuContext.Name(kind)} device can be used", why, StringComparison.Ordinal);
                Assert.Throws<InvalidOperationException>(() => GpuContext.Use(kind));
            }
        }
    }

    [Fact]
    public void A_driver_build_failure_carries_the_build_log_the_accelerator_and_the_kernel()
    {
        using IDisposable _ = GpuContext.Use(GpuAcceleratorKind.Emulator);
        var cache = new GpuKernelCache<Action>("Demo.Kernels.Broken", static _ =>
        {
            // What ILGPU's OpenCL backend does when clBuildProgram fails: the log to Trace, then the bare error code.
            Trace.WriteLine("Kernel loading failed:");
            Trace.WriteLine("<source>:12:5: error: use of undeclared identifier 'sub_group_size'");
            throw new CLException(CLError.CL_BUILD_PROGRAM_FAILURE);
        });

        GpuKernelException error = Assert.Throws<GpuKernelException>(() => cache.For(GpuContext.Accelerator));

        Assert.Equal("Demo.Kernels.Broken", error.KernelName);
        Assert.Equal("emulator: " + GpuContext.Accelerator.Name, error.Accelerator);
        Assert.Equal("<source>:12:5: error: use of undeclared identifier 'sub_group_size'", error.BuildLog);
        Assert.Contains("the driver could not build it", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("use of undeclared identifier 'sub_group_size'", error.Message, StringComparison.Ordinal);
        Assert.IsType<CLException>(error.InnerException);
    }

    private static string? NoLibraryProblem(GpuAcceleratorKind kind) => null;

    private static SeenDevice Usable(GpuAcceleratorKind kind, string name, bool isGpu)
        => new(kind, name, isGpu, Unusable: null, new ILGPU.Runtime.CPU.CPUDevice(4, 1, 1));
}
