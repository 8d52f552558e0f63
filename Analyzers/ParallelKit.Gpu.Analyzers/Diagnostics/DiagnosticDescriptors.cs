using Microsoft.CodeAnalysis;

namespace ParallelKit.Gpu.Analyzers.Diagnostics;

/// <summary>
/// Every diagnostic ParallelKit.Gpu's analyzers report (PK3xxx, GPU kernels). Each ID has a page under
/// <c>docs/diagnostics</c>. Declaration mistakes and kernel-body violations are errors: ILGPU would
/// otherwise fail at run time, on first launch.
/// </summary>
public static class DiagnosticDescriptors
{
    /// <summary>The category of every GPU kernel diagnostic (PK3xxx).</summary>
    public const string KernelsCategory = "ParallelKit.Gpu";

    /// <summary>Where the docs page of each ID lives: the prefix, then <c>PK####.md</c>.</summary>
    private const string HelpLinkPrefix = "https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/";

    /// <summary>The ID of <see cref="KernelIndexFirst"/>.</summary>
    public const string KernelIndexFirstId = "PK3001";

    /// <summary>
    /// PK3001: kernel's first parameter is not an index.
    /// <para>Format: <c>"Kernel '{0}' must take its thread index first, as an Index1D, Index2D or Index3D, not '{1}'"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelIndexFirst = Create(KernelIndexFirstId, "Kernel's first parameter is not an index", "Kernel '{0}' must take its thread index first, as an Index1D, Index2D or Index3D, not '{1}'", "ILGPU launches a [GpuKernel] once per index of its extent and passes the index as the first parameter, which must be Index1D, Index2D or Index3D.");

    /// <summary>The ID of <see cref="KernelParameterType"/>.</summary>
    public const string KernelParameterTypeId = "PK3002";

    /// <summary>
    /// PK3002: kernel parameter type is not supported.
    /// <para>Format: <c>"Parameter '{0}' of kernel '{1}' has type '{2}', which a kernel cannot take: {3}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelParameterType = Create(KernelParameterTypeId, "Kernel parameter type is not supported", "Parameter '{0}' of kernel '{1}' has type '{2}', which a kernel cannot take: {3}", "After the index, a kernel takes ArrayView<T> (T[] or DeviceArray<T> on the host), ArrayView2D<T, Stride2D.DenseY> (T[,]) of unmanaged element types, and unmanaged scalars, all by value.");

    /// <summary>The ID of <see cref="KernelShape"/>.</summary>
    public const string KernelShapeId = "PK3003";

    /// <summary>
    /// PK3003: kernel is not a static void method with a body.
    /// <para>Format: <c>"Kernel '{0}' must be {1}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelShape = Create(KernelShapeId, "Kernel is not a static void method with a body", "Kernel '{0}' must be {1}", "A [GpuKernel] is compiled by ILGPU and launched by generated overloads: it must be an ordinary static method returning void, with a body, not generic and not async, declared in a non-generic type.");

    /// <summary>The ID of <see cref="KernelNotInPartialType"/>.</summary>
    public const string KernelNotInPartialTypeId = "PK3004";

    /// <summary>
    /// PK3004: kernel's type is not partial.
    /// <para>Format: <c>"Kernel '{0}' must be declared in partial types; make {1} partial so that the generator can add its launchers"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelNotInPartialType = Create(KernelNotInPartialTypeId, "Kernel's type is not partial", "Kernel '{0}' must be declared in partial types; make {1} partial so that the generator can add its launchers", "The generator adds the kernel's host overloads to the type that declares it, so that type and every type enclosing it must be partial.");

    /// <summary>The ID of <see cref="KernelWithoutView"/>.</summary>
    public const string KernelWithoutViewId = "PK3005";

    /// <summary>
    /// PK3005: kernel takes no ArrayView.
    /// <para>Format: <c>"Kernel '{0}' takes no ArrayView, so it has nothing to copy in or out and no extent to infer"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelWithoutView = Create(KernelWithoutViewId, "Kernel takes no ArrayView", "Kernel '{0}' takes no ArrayView, so it has nothing to copy in or out and no extent to infer", "The generated overloads infer the launch extent from the first array and copy arrays to and from the device; a kernel without an ArrayView parameter can produce no result.");

    /// <summary>The ID of <see cref="KernelAllocates"/>.</summary>
    public const string KernelAllocatesId = "PK3006";

    /// <summary>
    /// PK3006: kernel allocates.
    /// <para>Format: <c>"Kernel '{0}' allocates {1}; a kernel cannot allocate managed objects or arrays"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelAllocates = Create(KernelAllocatesId, "Kernel allocates", "Kernel '{0}' allocates {1}; a kernel cannot allocate managed objects or arrays", "Device code has no garbage-collected heap: creating class instances, arrays, anonymous objects or collections is not supported in a kernel or in a method it calls.");

    /// <summary>The ID of <see cref="KernelUsesString"/>.</summary>
    public const string KernelUsesStringId = "PK3007";

    /// <summary>
    /// PK3007: kernel uses a string.
    /// <para>Format: <c>"Kernel '{0}' uses a string ({1}); strings are managed objects that device code cannot hold"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelUsesString = Create(KernelUsesStringId, "Kernel uses a string", "Kernel '{0}' uses a string ({1}); strings are managed objects that device code cannot hold", "Strings are reference types on the managed heap. Only string literals passed straight to ILGPU's Interop.Write/WriteLine are supported.");

    /// <summary>The ID of <see cref="KernelBoxes"/>.</summary>
    public const string KernelBoxesId = "PK3008";

    /// <summary>
    /// PK3008: kernel boxes a value.
    /// <para>Format: <c>"Kernel '{0}' boxes a '{1}' into '{2}'; boxing allocates on the managed heap"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelBoxes = Create(KernelBoxesId, "Kernel boxes a value", "Kernel '{0}' boxes a '{1}' into '{2}'; boxing allocates on the managed heap", "Converting a value type to object, an interface or another reference type allocates a box, which device code cannot do.");

    /// <summary>The ID of <see cref="KernelUsesExceptions"/>.</summary>
    public const string KernelUsesExceptionsId = "PK3009";

    /// <summary>
    /// PK3009: kernel throws or catches exceptions.
    /// <para>Format: <c>"Kernel '{0}' uses {1}; device code cannot throw or catch exceptions"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelUsesExceptions = Create(KernelUsesExceptionsId, "Kernel throws or catches exceptions", "Kernel '{0}' uses {1}; device code cannot throw or catch exceptions", "GPUs have no exception handling: throw statements and expressions, try/catch/finally and using statements that need finally are not supported.");

    /// <summary>The ID of <see cref="KernelUsesLock"/>.</summary>
    public const string KernelUsesLockId = "PK3010";

    /// <summary>
    /// PK3010: kernel uses lock.
    /// <para>Format: <c>"Kernel '{0}' uses lock; device code has no monitors, use ILGPU's Atomic operations"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelUsesLock = Create(KernelUsesLockId, "Kernel uses lock", "Kernel '{0}' uses lock; device code has no monitors, use ILGPU's Atomic operations", "Monitors are not available on a GPU; update shared data with ILGPU.Atomic instead.");

    /// <summary>The ID of <see cref="KernelUsesAwait"/>.</summary>
    public const string KernelUsesAwaitId = "PK3011";

    /// <summary>
    /// PK3011: kernel awaits.
    /// <para>Format: <c>"Kernel '{0}' uses await; a kernel runs to completion on the device and cannot await"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelUsesAwait = Create(KernelUsesAwaitId, "Kernel awaits", "Kernel '{0}' uses await; a kernel runs to completion on the device and cannot await", "Kernels are synchronous device code.");

    /// <summary>The ID of <see cref="KernelForeachOverNonSpan"/>.</summary>
    public const string KernelForeachOverNonSpanId = "PK3012";

    /// <summary>
    /// PK3012: kernel uses foreach over a collection.
    /// <para>Format: <c>"Kernel '{0}' uses foreach over '{1}'; only spans can be enumerated in a kernel, use a for loop over indices"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelForeachOverNonSpan = Create(KernelForeachOverNonSpanId, "Kernel uses foreach over a collection", "Kernel '{0}' uses foreach over '{1}'; only spans can be enumerated in a kernel, use a for loop over indices", "foreach over anything but Span<T>/ReadOnlySpan<T> goes through a managed enumerator (an interface call, often an allocation).");

    /// <summary>The ID of <see cref="KernelRecursion"/>.</summary>
    public const string KernelRecursionId = "PK3013";

    /// <summary>
    /// PK3013: kernel recurses.
    /// <para>Format: <c>"Kernel '{0}' calls '{1}' recursively; device code has no call stack to recurse on"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelRecursion = Create(KernelRecursionId, "Kernel recurses", "Kernel '{0}' calls '{1}' recursively; device code has no call stack to recurse on", "ILGPU inlines calls into the kernel; recursive calls cannot be compiled.");

    /// <summary>The ID of <see cref="KernelVirtualCall"/>.</summary>
    public const string KernelVirtualCallId = "PK3014";

    /// <summary>
    /// PK3014: kernel makes a virtual or interface call.
    /// <para>Format: <c>"Kernel '{0}' calls '{1}', a virtual or interface member; device code has no virtual dispatch"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelVirtualCall = Create(KernelVirtualCallId, "Kernel makes a virtual or interface call", "Kernel '{0}' calls '{1}', a virtual or interface member; device code has no virtual dispatch", "Only calls that resolve to one method at compile time can be compiled for a GPU.");

    /// <summary>The ID of <see cref="KernelUsesDelegate"/>.</summary>
    public const string KernelUsesDelegateId = "PK3015";

    /// <summary>
    /// PK3015: kernel uses a delegate or lambda.
    /// <para>Format: <c>"Kernel '{0}' uses {1}; delegates are managed objects, call a static method instead"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelUsesDelegate = Create(KernelUsesDelegateId, "Kernel uses a delegate or lambda", "Kernel '{0}' uses {1}; delegates are managed objects, call a static method instead", "Lambdas, anonymous methods, method groups converted to delegates and delegate invocations are not supported on the device.");

    /// <summary>The ID of <see cref="KernelStaticMutableField"/>.</summary>
    public const string KernelStaticMutableFieldId = "PK3016";

    /// <summary>
    /// PK3016: kernel uses a static mutable field.
    /// <para>Format: <c>"Kernel '{0}' uses the static field '{1}', which is not readonly; device code cannot see host statics, pass the value as a parameter"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelStaticMutableField = Create(KernelStaticMutableFieldId, "Kernel uses a static mutable field", "Kernel '{0}' uses the static field '{1}', which is not readonly; device code cannot see host statics, pass the value as a parameter", "Each device has its own memory: a static field that can change is not shared with it. Constants and static readonly fields of unmanaged types are fine.");

    /// <summary>The ID of <see cref="KernelCallsMethodWithoutSource"/>.</summary>
    public const string KernelCallsMethodWithoutSourceId = "PK3017";

    /// <summary>
    /// PK3017: kernel calls a method ILGPU cannot compile.
    /// <para>Format: <c>"Kernel '{0}' calls '{1}', which has no source in this compilation and is not an ILGPU intrinsic"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelCallsMethodWithoutSource = Create(KernelCallsMethodWithoutSourceId, "Kernel calls a method ILGPU cannot compile", "Kernel '{0}' calls '{1}', which has no source in this compilation and is not an ILGPU intrinsic", "ILGPU compiles the kernel and what it calls from IL; a method from another assembly is usually not device-safe. Use ILGPU's intrinsics (ILGPU, ILGPU.Algorithms) or a method of your own.");

    /// <summary>The ID of <see cref="KernelUsesSystemMath"/>.</summary>
    public const string KernelUsesSystemMathId = "PK3018";

    /// <summary>
    /// PK3018: kernel uses System.Math.
    /// <para>Format: <c>"Kernel '{0}' calls '{1}'; use ILGPU.Algorithms.XMath.{2}, which ILGPU compiles for every accelerator"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor KernelUsesSystemMath = Create(KernelUsesSystemMathId, "Kernel uses System.Math", "Kernel '{0}' calls '{1}'; use ILGPU.Algorithms.XMath.{2}, which ILGPU compiles for every accelerator", "System.Math and System.MathF are not kernel intrinsics on every ILGPU backend; XMath (ILGPU.Algorithms) provides the same functions for device code.");

    /// <summary>The ID of <see cref="GroupKernelNot1D"/>.</summary>
    public const string GroupKernelNot1DId = "PK3019";

    /// <summary>
    /// PK3019: kernel with group semantics does not take Index1D.
    /// <para>Format: <c>"Kernel '{0}' uses group semantics ({1}), so it is launched in explicit groups and must take an Index1D"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor GroupKernelNot1D = Create(GroupKernelNot1DId, "Kernel with group semantics does not take Index1D", "Kernel '{0}' uses group semantics ({1}), so it is launched in explicit groups and must take an Index1D", "Kernels that use shared memory, barriers, warp or group intrinsics are launched as explicitly grouped kernels over one dimension, their index being the thread's global index.");

    private static DiagnosticDescriptor Create(string id, string title, string messageFormat, string description) => new(
        id,
        title,
        messageFormat,
        KernelsCategory,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description,
        helpLinkUri: HelpLinkPrefix + id + ".md");
}
