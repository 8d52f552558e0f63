using System;
using System.Linq;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace ParallelKit;

/// <summary>
/// The process's one ILGPU context and accelerator, created on first use and disposed at process exit.
/// The accelerator is the first CUDA device, else the first OpenCL device, else the CPU; the environment
/// variable <c>PARALLELKIT_ACCELERATOR</c> (<c>cuda</c>, <c>opencl</c>, <c>cpu</c> or <c>emulator</c>)
/// forces one.
/// </summary>
/// <remarks>
/// On <see cref="GpuAcceleratorKind.Cpu"/>, kernels run as plain multithreaded C# on the caller's memory;
/// <see cref="Accelerator"/> is then ILGPU's CPU accelerator, which holds <see cref="DeviceArray{T}"/>s
/// and runs the kernels that need group semantics (shared memory, barriers, warp or group intrinsics).
/// </remarks>
public static class GpuContext
{
    /// <summary>The environment variable that forces the accelerator.</summary>
    public const string AcceleratorVariable = "PARALLELKIT_ACCELERATOR";

    private static readonly Lazy<State> s_state = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A kind forced for the calling flow by tests: CPU fast path or emulator over the same CPU accelerator.</summary>
    private static readonly AsyncLocal<GpuAcceleratorKind?> s_forcedKind = new();

    /// <summary>Where kernels run.</summary>
    public static GpuAcceleratorKind Kind => s_forcedKind.Value ?? s_state.Value.Kind;

    /// <summary>
    /// The ILGPU accelerator that holds <see cref="DeviceArray{T}"/>s and compiles kernels: the GPU, or
    /// ILGPU's CPU accelerator on <see cref="GpuAcceleratorKind.Cpu"/> and <see cref="GpuAcceleratorKind.Emulator"/>.
    /// </summary>
    public static Accelerator Accelerator => s_state.Value.Accelerator;

    /// <summary>The device's name as ILGPU reports it.</summary>
    public static string DeviceName => s_state.Value.Accelerator.Name;

    /// <summary>Whether a CUDA device is attached (whatever <see cref="AcceleratorVariable"/> says).</summary>
    public static bool HasCudaDevice => s_state.Value.Context.Devices.Any(static d => d.AcceleratorType == AcceleratorType.Cuda);

    /// <summary>Whether an OpenCL device is attached (whatever <see cref="AcceleratorVariable"/> says).</summary>
    public static bool HasOpenCLDevice => s_state.Value.Context.Devices.Any(static d => d.AcceleratorType == AcceleratorType.OpenCL);

    /// <summary>One line for logs and samples: the kind and the device, such as <c>cpu (CPUAccelerator …)</c>.</summary>
    public static string Describe() => Kind switch
    {
        GpuAcceleratorKind.Cpu => $"cpu: plain multithreaded C# on {Environment.ProcessorCount} cores (group kernels on {DeviceName})",
        _ => $"{Name(Kind)}: {DeviceName}",
    };

    /// <summary>The accelerator kind a value of <see cref="AcceleratorVariable"/> names, or null for none (empty or unset).</summary>
    /// <param name="value">The variable's value.</param>
    /// <exception cref="InvalidOperationException">The value names no kind.</exception>
    public static GpuAcceleratorKind? ParseKind(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "" => null,
        "CUDA" => GpuAcceleratorKind.Cuda,
        "OPENCL" => GpuAcceleratorKind.OpenCL,
        "CPU" => GpuAcceleratorKind.Cpu,
        "EMULATOR" => GpuAcceleratorKind.Emulator,
        _ => throw new InvalidOperationException($"{AcceleratorVariable}='{value}' names no accelerator; use cuda, opencl, cpu or emulator."),
    };

    /// <summary>How <see cref="AcceleratorVariable"/> spells a kind.</summary>
    /// <param name="kind">The kind.</param>
    public static string Name(GpuAcceleratorKind kind) => kind switch
    {
        GpuAcceleratorKind.Cuda => "cuda",
        GpuAcceleratorKind.OpenCL => "opencl",
        GpuAcceleratorKind.Cpu => "cpu",
        _ => "emulator",
    };

    /// <summary>
    /// Switches the calling flow (and the tasks it starts) between the CPU fast path and the emulator, which
    /// share ILGPU's CPU accelerator, until the result is disposed: lets one test process run both paths.
    /// </summary>
    /// <param name="kind"><see cref="GpuAcceleratorKind.Cpu"/> or <see cref="GpuAcceleratorKind.Emulator"/>.</param>
    /// <returns>Restores the previous kind when disposed.</returns>
    /// <exception cref="InvalidOperationException">The process runs kernels on a GPU.</exception>
    internal static IDisposable UseCpuKind(GpuAcceleratorKind kind)
    {
        if (kind is not (GpuAcceleratorKind.Cpu or GpuAcceleratorKind.Emulator) || s_state.Value.Accelerator.AcceleratorType != AcceleratorType.CPU)
        {
            throw new InvalidOperationException($"Only cpu and emulator can be switched, and only on the CPU accelerator (this process runs on {s_state.Value.Kind}).");
        }

        GpuAcceleratorKind? previous = s_forcedKind.Value;
        s_forcedKind.Value = kind;
        return new Restore(previous);
    }

    private sealed class Restore(GpuAcceleratorKind? previous) : IDisposable
    {
        public void Dispose() => s_forcedKind.Value = previous;
    }

    private static State Create()
    {
        GpuAcceleratorKind? forced = ParseKind(Environment.GetEnvironmentVariable(AcceleratorVariable));
        Context context = Context.Create(static builder => builder.Default().EnableAlgorithms());
        try
        {
            (GpuAcceleratorKind kind, Accelerator accelerator) = Pick(context, forced);
            var state = new State(context, kind, accelerator);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => state.Dispose();
            return state;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static (GpuAcceleratorKind Kind, Accelerator Accelerator) Pick(Context context, GpuAcceleratorKind? forced)
    {
        if (forced is GpuAcceleratorKind.Cpu or GpuAcceleratorKind.Emulator)
        {
            return (forced.Value, context.CreateCPUAccelerator(0));
        }

        foreach ((GpuAcceleratorKind kind, AcceleratorType type) in new[] { (GpuAcceleratorKind.Cuda, AcceleratorType.Cuda), (GpuAcceleratorKind.OpenCL, AcceleratorType.OpenCL) })
        {
            if (forced is not null && forced != kind)
            {
                continue;
            }

            Device? device = context.Devices.FirstOrDefault(d => d.AcceleratorType == type);
            if (device is not null)
            {
                return (kind, device.CreateAccelerator(context));
            }

            if (forced == kind)
            {
                throw new InvalidOperationException($"{AcceleratorVariable}={Name(kind)}, but no {Name(kind)} device is attached.");
            }
        }

        return (GpuAcceleratorKind.Cpu, context.CreateCPUAccelerator(0));
    }

    private sealed class State(Context context, GpuAcceleratorKind kind, Accelerator accelerator) : IDisposable
    {
        private int _disposed;

        public Context Context { get; } = context;

        public GpuAcceleratorKind Kind { get; } = kind;

        public Accelerator Accelerator { get; } = accelerator;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Accelerator.Dispose();
                Context.Dispose();
            }
        }
    }
}
