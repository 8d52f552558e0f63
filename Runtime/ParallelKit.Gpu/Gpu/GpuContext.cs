using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.OpenCL;
using ParallelKit.Gpu;

namespace ParallelKit;

/// <summary>
/// The process's one ILGPU context and its accelerators, created on first use and disposed at process exit.
/// Kernels run on the first CUDA device, else the first OpenCL device that is a GPU, else on the CPU fast
/// path. An OpenCL implementation that runs on the CPU (pocl) is used only when asked for: the environment
/// variable <c>PARALLELKIT_ACCELERATOR</c> (<c>cuda</c>, <c>opencl</c>, <c>cpu</c> or <c>emulator</c>)
/// forces a kind, and when that kind has no usable device the first launch says why (library not found, the
/// capability ILGPU's filter found missing, the devices seen).
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

    /// <summary>A kind chosen for the calling flow (and the tasks it starts) by <see cref="Use"/>: how one test process runs every device.</summary>
    private static readonly AsyncLocal<GpuAcceleratorKind?> s_flowKind = new();

    /// <summary>Where kernels run.</summary>
    public static GpuAcceleratorKind Kind => s_flowKind.Value ?? s_state.Value.DefaultKind;

    /// <summary>
    /// The ILGPU accelerator that holds <see cref="DeviceArray{T}"/>s and compiles kernels: the GPU, or
    /// ILGPU's CPU accelerator on <see cref="GpuAcceleratorKind.Cpu"/> and <see cref="GpuAcceleratorKind.Emulator"/>.
    /// </summary>
    public static Accelerator Accelerator => s_state.Value.AcceleratorFor(Kind);

    /// <summary>The device's name as ILGPU reports it.</summary>
    public static string DeviceName => Accelerator.Name;

    /// <summary>Whether a CUDA device ILGPU can use is attached (whatever <see cref="AcceleratorVariable"/> says).</summary>
    public static bool HasCudaDevice => WhyUnavailable(GpuAcceleratorKind.Cuda) is null;

    /// <summary>Whether an OpenCL device ILGPU can use is attached, GPU or CPU implementation (whatever <see cref="AcceleratorVariable"/> says).</summary>
    public static bool HasOpenCLDevice => WhyUnavailable(GpuAcceleratorKind.OpenCL) is null;

    /// <summary>
    /// Why kernels cannot run on <paramref name="kind"/> in this process (the library could not be loaded, no
    /// device, or each device seen and the capability it lacks), or null when they can.
    /// </summary>
    /// <param name="kind">The kind; <see cref="GpuAcceleratorKind.Cpu"/> and <see cref="GpuAcceleratorKind.Emulator"/> are always available.</param>
    public static string? WhyUnavailable(GpuAcceleratorKind kind)
    {
        State state = s_state.Value;
        return kind is GpuAcceleratorKind.Cpu or GpuAcceleratorKind.Emulator || AcceleratorChoice.Best(state.Seen, kind) is not null
            ? null
            : AcceleratorChoice.WhyNone(state.Seen, kind, LibraryProblem(kind));
    }

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
    /// Runs the calling flow (and the tasks it starts) on <paramref name="kind"/> until the result is
    /// disposed, whatever the process's default: lets one test process run every kernel on the CPU fast path,
    /// the emulator and each device present.
    /// </summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Restores the previous kind when disposed.</returns>
    /// <exception cref="InvalidOperationException">No usable device of that kind; the message says why.</exception>
    internal static IDisposable Use(GpuAcceleratorKind kind)
    {
        _ = s_state.Value.AcceleratorFor(kind); // fails here, with the reason, not at the first launch
        GpuAcceleratorKind? previous = s_flowKind.Value;
        s_flowKind.Value = kind;
        return new Restore(previous);
    }

    private sealed class Restore(GpuAcceleratorKind? previous) : IDisposable
    {
        public void Dispose() => s_flowKind.Value = previous;
    }

    private static State Create()
    {
        GpuAcceleratorKind? forced = ParseKind(Environment.GetEnvironmentVariable(AcceleratorVariable));
        Context context = Context.Create(static builder => builder.Default().EnableAlgorithms());
        try
        {
            IReadOnlyList<SeenDevice> seen = Discover(context);
            SeenDevice? device = AcceleratorChoice.Pick(seen, forced, LibraryProblem);
            var state = new State(context, seen, device?.Kind ?? forced ?? GpuAcceleratorKind.Cpu);
            _ = state.AcceleratorFor(state.DefaultKind);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => state.Dispose();
            return state;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every CUDA device ILGPU registered and every OpenCL device the drivers report, including those ILGPU's
    /// default filter left out (with the capability they lack): the choice needs the former, its messages the latter.
    /// </summary>
    private static List<SeenDevice> Discover(Context context)
    {
        var seen = new List<SeenDevice>();
        foreach (Device device in context.Devices.Where(static d => d.AcceleratorType == AcceleratorType.Cuda))
        {
            seen.Add(new SeenDevice(GpuAcceleratorKind.Cuda, device.Name, IsGpu: true, Unusable: null, device));
        }

        foreach (CLDevice device in CLDevice.GetDevices(static _ => true).OfType<CLDevice>())
        {
            Device? registered = context.Devices.OfType<CLDevice>().FirstOrDefault(d => d.DeviceId == device.DeviceId);
            string? problem = registered is not null
                ? null
                : AcceleratorChoice.OpenCLProblem(
                    new Version(device.CLStdVersion.Major, device.CLStdVersion.Minor),
                    new Version(CLBackend.MinimumVersion.Major, CLBackend.MinimumVersion.Minor),
                    device.Capabilities.GenericAddressSpace) ?? "filtered out by ILGPU's default device filter";
            seen.Add(new SeenDevice(
                GpuAcceleratorKind.OpenCL,
                $"{device.Name} ({device.PlatformName}, OpenCL C {device.CVersion.Major}.{device.CVersion.Minor})",
                IsGpu: (device.DeviceType & CLDeviceType.CL_DEVICE_TYPE_GPU) != 0,
                problem,
                registered));
        }

        return seen;
    }

    /// <summary>Why the native library ILGPU loads for <paramref name="kind"/> cannot be loaded, or null when it can.</summary>
    private static string? LibraryProblem(GpuAcceleratorKind kind)
    {
        string[] names = (kind, OperatingSystem.IsWindows(), OperatingSystem.IsMacOS()) switch
        {
            (GpuAcceleratorKind.Cuda, true, _) => ["nvcuda.dll"],
            (GpuAcceleratorKind.Cuda, _, _) => ["libcuda.so", "libcuda.so.1"],
            (GpuAcceleratorKind.OpenCL, true, _) => ["OpenCL.dll"],
            (GpuAcceleratorKind.OpenCL, _, true) => ["/System/Library/Frameworks/OpenCL.framework/OpenCL"],
            (GpuAcceleratorKind.OpenCL, _, _) => ["libOpenCL.so"],
            _ => [],
        };
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                NativeLibrary.Free(handle);
                return null;
            }
        }

        return names.Length == 0
            ? null
            : kind == GpuAcceleratorKind.OpenCL && OperatingSystem.IsLinux()
                ? "libOpenCL.so could not be loaded (ILGPU loads the unversioned name: install the OpenCL ICD loader's development package, ocl-icd-opencl-dev on Debian, or link libOpenCL.so to libOpenCL.so.1)."
                : $"{names[0]} could not be loaded.";
    }

    private sealed class State(Context context, IReadOnlyList<SeenDevice> seen, GpuAcceleratorKind defaultKind) : IDisposable
    {
        private readonly Dictionary<Device, Accelerator> _accelerators = [];
        private Accelerator? _cpu;
        private int _disposed;

        public Context Context { get; } = context;

        public IReadOnlyList<SeenDevice> Seen { get; } = seen;

        public GpuAcceleratorKind DefaultKind { get; } = defaultKind;

        /// <summary>The accelerator of <paramref name="kind"/>, created on first use: the CPU accelerator, or the best device of the kind.</summary>
        public Accelerator AcceleratorFor(GpuAcceleratorKind kind)
        {
            lock (_accelerators)
            {
                ObjectDisposedException.ThrowIf(_disposed != 0, typeof(GpuContext));
                if (kind is GpuAcceleratorKind.Cpu or GpuAcceleratorKind.Emulator)
                {
                    return _cpu ??= Context.CreateCPUAccelerator(0);
                }

                SeenDevice device = AcceleratorChoice.Best(Seen, kind)
                    ?? throw new InvalidOperationException(AcceleratorChoice.WhyNone(Seen, kind, LibraryProblem(kind)));
                if (!_accelerators.TryGetValue(device.Device!, out Accelerator? accelerator))
                {
                    accelerator = device.Device!.CreateAccelerator(Context);
                    _accelerators.Add(device.Device!, accelerator);
                }

                return accelerator;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (_accelerators)
                {
                    foreach (Accelerator accelerator in _accelerators.Values)
                    {
                        accelerator.Dispose();
                    }

                    _cpu?.Dispose();
                }

                Context.Dispose();
            }
        }
    }
}
