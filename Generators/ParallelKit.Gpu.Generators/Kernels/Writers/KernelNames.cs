using System.Globalization;
using System.Linq;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;

namespace ParallelKit.Gpu.Generators.Kernels.Writers;

/// <summary>The names and texts every writer of one kernel's file shares: its members' names, its index type, its attributes.</summary>
/// <param name="kernel">The kernel.</param>
/// <param name="memberSuffix">What its private members add to its name (overloaded kernels).</param>
internal sealed class KernelNames(KernelModel kernel, string memberSuffix)
{
    /// <summary><c>[GeneratedCode]</c> alone, for fields.</summary>
    public static readonly string GeneratedCode = GeneratedCodeAttributes.GeneratedCode;

    /// <summary>The attributes of every generated method, on one line.</summary>
    public static readonly string MethodAttributes = "[" + GeneratedCodeAttributes.GeneratedCodeArguments + ", global::System.Diagnostics.DebuggerNonUserCode, global::System.Diagnostics.CodeAnalysis.ExcludeFromCodeCoverage";

    /// <summary>The runtime's namespace.</summary>
    public const string Runtime = "global::ParallelKit.Gpu";

    public KernelModel Kernel { get; } = kernel;

    public KernelParameterModel[] Parameters { get; } = [.. kernel.Parameters];

    public KernelParameterModel[] Views => [.. Parameters.Where(static p => p.Kind != KernelParameterKind.Scalar)];

    /// <summary>The explicit extent's parameter name: <c>extent</c>, unless the kernel has a parameter of that name.</summary>
    public string Extent => Parameters.Any(static p => p.Name == "extent") ? "launchExtent" : "extent";

    public string IndexType => "global::ILGPU.Index" + Kernel.Rank.ToString(CultureInfo.InvariantCulture) + "D";

    public string Bare => Kernel.Name.TrimStart('@');

    /// <summary>The stem of the private members' names.</summary>
    private string Stem => Bare + memberSuffix;

    public string CacheField => "__" + Stem + "Kernel";

    /// <summary>The one method every launcher ends in.</summary>
    public string LaunchMethod => Stem + "__Launch";

    public string HostCopy => Stem + "__Host";

    public string OnHost => Stem + "__OnHost";

    public string GroupedEntry => Stem + "__Grouped";

    /// <summary>The kernel as a <c>cref</c>.</summary>
    public string Cref => $"{Kernel.Name}({string.Join(", ", new[] { IndexType }.Concat(Parameters.Select(static p => p.Type)).Select(static t => t.Replace('<', '{').Replace('>', '}')))})";

    /// <summary>The arguments passing each parameter as <paramref name="view"/> says for views and as it is for scalars.</summary>
    public string Arguments(System.Func<KernelParameterModel, string> view)
        => string.Join(", ", Parameters.Select(p => p.Kind == KernelParameterKind.Scalar ? p.Name : view(p)));

    /// <summary>The method attributes with one more, on one line.</summary>
    public static string AttributesWith(string? extra) => MethodAttributes + (extra is null ? "]" : ", " + extra + "]");

    public static string Local(KernelParameterModel view) => "__" + view.Name.TrimStart('@');

    public static string HostViewType(KernelParameterModel view) => view.Kind == KernelParameterKind.View2D
        ? $"{Runtime}.HostView2D<{view.ElementType}>"
        : $"{Runtime}.HostView<{view.ElementType}>";

    public static string KernelArgType(KernelParameterModel view) => view.Kind == KernelParameterKind.View2D
        ? $"{Runtime}.KernelArg2D<{view.ElementType}>"
        : $"{Runtime}.KernelArg<{view.ElementType}>";
}
