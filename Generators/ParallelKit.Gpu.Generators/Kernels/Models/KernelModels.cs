using ParallelKit.Generators.Helpers;

namespace ParallelKit.Gpu.Generators.Kernels.Models;

/// <summary>What a kernel parameter after the index is.</summary>
internal enum KernelParameterKind
{
    /// <summary><c>ArrayView&lt;T&gt;</c>: a <c>T[]</c> or a <c>DeviceArray&lt;T&gt;</c> on the host.</summary>
    View1D,

    /// <summary><c>ArrayView2D&lt;T, Stride2D.DenseY&gt;</c>: a <c>T[,]</c> on the host.</summary>
    View2D,

    /// <summary>An unmanaged scalar, passed as it is.</summary>
    Scalar,
}

/// <summary>Which way a view's data is copied around a launch, inferred from the kernel's body.</summary>
internal enum CopyDirection
{
    /// <summary>Only read: copied to the device, not back.</summary>
    In,

    /// <summary>Only written: allocated on the device, not uploaded, copied back.</summary>
    Out,

    /// <summary>Read and written, or used in a way the inference cannot follow: copied both ways.</summary>
    InOut,
}

/// <summary>What a launcher overload takes for the kernel's views.</summary>
internal enum LauncherFamily
{
    /// <summary><c>T[]</c> / <c>T[,]</c>, copied in and out.</summary>
    Arrays,

    /// <summary><c>DeviceArray&lt;T&gt;</c>, kept on the device.</summary>
    DeviceArrays,

    /// <summary><c>Span&lt;T&gt;</c> (views written) and <c>ReadOnlySpan&lt;T&gt;</c> (views only read), copied in and out.</summary>
    Spans,
}

/// <summary>One public launcher a kernel gets.</summary>
/// <param name="Family">What it takes for the views.</param>
/// <param name="ExplicitExtent">Whether it takes the launch extent; without, the first view's length (or shape) is the extent.</param>
/// <param name="IsAsync">Whether it is the <c>…Async</c> twin, which runs the launch off the calling thread.</param>
internal sealed record LauncherOverload(LauncherFamily Family, bool ExplicitExtent, bool IsAsync);

/// <summary>One kernel parameter after the index.</summary>
/// <param name="Name">The parameter's name, escaped with '@' where it is a keyword.</param>
/// <param name="Kind">View or scalar.</param>
/// <param name="Type">The parameter's fully qualified type.</param>
/// <param name="ElementType">The fully qualified element type of a view (the scalar's type for a scalar).</param>
/// <param name="Direction">How a view is copied; <see cref="CopyDirection.In"/> for scalars.</param>
internal sealed record KernelParameterModel(string Name, KernelParameterKind Kind, string Type, string ElementType, CopyDirection Direction);

/// <summary>One <c>[GpuKernel]</c> method: strings, enums and equatable arrays only.</summary>
/// <param name="Name">The kernel's name (and its overloads'), escaped where it is a keyword.</param>
/// <param name="DisplayName">The kernel as messages show it (<c>Namespace.Type.Method</c>).</param>
/// <param name="Accessibility">The kernel's accessibility as C# spells it; the overloads get the same.</param>
/// <param name="Rank">1, 2 or 3: the rank of the index (<c>Index1D</c>, <c>Index2D</c>, <c>Index3D</c>).</param>
/// <param name="IndexName">The index parameter's name.</param>
/// <param name="Parameters">The parameters after the index, in order.</param>
/// <param name="HostBody">
/// The body's text for the host copy (the CPU fast path), or null where the kernel gets none: it has group
/// semantics, or it uses a view other than through its indexers and extents.
/// </param>
/// <param name="HostBodyIsExpression">Whether <paramref name="HostBody"/> is an expression (an expression-bodied kernel).</param>
/// <param name="UsesGroups">Whether the kernel has group semantics (shared memory, barriers, warp or group intrinsics).</param>
/// <param name="GroupSize">The attribute's <c>GroupSize</c> (0: the accelerator's choice).</param>
/// <param name="Overloads">The public launchers the kernel gets, in the order they are written (<see cref="KernelOverloads.Decide"/>).</param>
internal sealed record KernelModel(
    string Name,
    string DisplayName,
    string Accessibility,
    int Rank,
    string IndexName,
    EquatableArray<KernelParameterModel> Parameters,
    string? HostBody,
    bool HostBodyIsExpression,
    bool UsesGroups,
    int GroupSize,
    EquatableArray<LauncherOverload> Overloads);

/// <summary>A kernel and how to re-open its type: one generated file.</summary>
/// <param name="Namespace">The containing namespace as C# spells it, or null for the global namespace.</param>
/// <param name="TypeMetadataName">The containing type's runtime name (<c>Namespace.Outer+Inner</c>).</param>
/// <param name="Hierarchy">The type and its containing types, outermost first.</param>
/// <param name="Usings">The using directives of the kernel's file, which its host copy's body needs.</param>
/// <param name="Kernel">The kernel.</param>
/// <param name="HintName">The generated file's hint name, unique in the compilation; set once all kernels are known.</param>
/// <param name="MemberSuffix">
/// What the kernel's private generated members (its cache, launch method, host copy) add to its name so that
/// overloaded kernels of one type do not collide: empty, or <c>_</c> and a hash of the signature; set with <paramref name="HintName"/>.
/// </param>
internal sealed record KernelFileModel(
    string? Namespace,
    string TypeMetadataName,
    EquatableArray<TypeDeclarationModel> Hierarchy,
    EquatableArray<string> Usings,
    KernelModel Kernel,
    string HintName,
    string MemberSuffix = "");
