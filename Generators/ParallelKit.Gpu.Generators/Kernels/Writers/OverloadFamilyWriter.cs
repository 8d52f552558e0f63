using System.Linq;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;

namespace ParallelKit.Gpu.Generators.Kernels.Writers;

/// <summary>
/// Writes the public launchers of one family: each only turns what it takes into the runtime's kernel
/// arguments and calls the kernel's one launch method (<see cref="LaunchMethodWriter"/>); without an extent it
/// calls its twin with the first view's extent. Families differ in what they take and how they say it.
/// </summary>
internal abstract class OverloadFamilyWriter(IndentedTextWriter writer, KernelNames names)
{
    protected KernelNames Names { get; } = names;

    /// <summary>The writer of <paramref name="family"/>.</summary>
    public static OverloadFamilyWriter For(LauncherFamily family, IndentedTextWriter writer, KernelNames names) => family switch
    {
        LauncherFamily.DeviceArrays => new DeviceArraysOverloadWriter(writer, names),
        LauncherFamily.Spans => new SpansOverloadWriter(writer, names),
        _ => new ArraysOverloadWriter(writer, names),
    };

    /// <summary>The host type the family takes for a view.</summary>
    public abstract string HostType(KernelParameterModel view);

    /// <summary>The parameter list after the extent.</summary>
    public string Parameters() => string.Join(", ", Names.Parameters.Select(p => $"{(p.Kind == KernelParameterKind.Scalar ? p.Type : HostType(p))} {p.Name}"));

    /// <summary>Writes the launcher with or without an explicit extent.</summary>
    public void Write(bool explicitExtent)
    {
        KernelParameterModel first = Names.Views[0];
        string over = explicitExtent
            ? $"every index of <paramref name=\"{Names.Extent}\"/>"
            : $"every element of <paramref name=\"{first.Name.TrimStart('@')}\"/>";
        writer.WriteLine($"/// <summary>Runs the <c>[GpuKernel]</c> <see cref=\"{Names.Cref}\"/> once for {over}{How()}.</summary>");
        writer.WriteLine(KernelNames.AttributesWith(ExtraAttribute));
        string extent = explicitExtent ? $"{Names.IndexType} {Names.Extent}, " : string.Empty;
        writer.WriteLine($"{Names.Kernel.Accessibility} static void {Names.Kernel.Name}({extent}{Parameters()})");
        writer.Indent();
        writer.WriteLine(explicitExtent
            ? $"=> {Names.LaunchMethod}({Names.Extent}, {Names.Arguments(static v => $"{KernelNames.Runtime}.KernelArg.Of({v.Name})")});"
            : $"=> {Names.Kernel.Name}({KernelNames.Runtime}.KernelArg.Of({first.Name}).Extent, {Names.Arguments(static v => v.Name)});");
        writer.Unindent();
    }

    /// <summary>An attribute the family's launchers carry besides the usual ones, or null.</summary>
    protected virtual string? ExtraAttribute => null;

    /// <summary>The end of the summary: how the views get to the kernel.</summary>
    protected abstract string How();

    /// <summary>Which views are copied which way, as the summary says it: <c>dest out; a, b in</c>.</summary>
    protected string Directions()
    {
        static string List(System.Collections.Generic.IEnumerable<KernelParameterModel> views)
            => string.Join(", ", views.Select(static v => $"<paramref name=\"{v.Name.TrimStart('@')}\"/>"));

        return string.Join("; ", new[] { (CopyDirection.In, "in"), (CopyDirection.Out, "out"), (CopyDirection.InOut, "in and out") }
            .Select(d => (Views: Names.Views.Where(v => v.Direction == d.Item1).ToArray(), Way: d.Item2))
            .Where(static d => d.Views.Length > 0)
            .Select(static d => $"{List(d.Views)} {d.Way}"));
    }
}

/// <summary>Launchers over host arrays (<c>T[]</c>, <c>T[,]</c>), copied to and from the device as the kernel uses them.</summary>
internal sealed class ArraysOverloadWriter(IndentedTextWriter writer, KernelNames names) : OverloadFamilyWriter(writer, names)
{
    public override string HostType(KernelParameterModel view) => view.Kind == KernelParameterKind.View2D ? view.ElementType + "[,]" : view.ElementType + "[]";

    protected override string How() => $", copying host arrays ({Directions()})";
}

/// <summary>Launchers over <c>DeviceArray&lt;T&gt;</c>s, which stay on the device: nothing is copied.</summary>
internal sealed class DeviceArraysOverloadWriter(IndentedTextWriter writer, KernelNames names) : OverloadFamilyWriter(writer, names)
{
    public override string HostType(KernelParameterModel view) => $"global::ParallelKit.DeviceArray<{view.ElementType}>";

    protected override string How() => " on device arrays, which stay on the device";
}

/// <summary>
/// Launchers over host spans: a view only read is a <c>ReadOnlySpan</c> (so read-only memory can be passed), a
/// view written a <c>Span</c>. They rank below the array overloads, which arrays bind to also when some
/// arguments are collection expressions (which prefer spans).
/// </summary>
internal sealed class SpansOverloadWriter(IndentedTextWriter writer, KernelNames names) : OverloadFamilyWriter(writer, names)
{
    public override string HostType(KernelParameterModel view) => view.Direction == CopyDirection.In
        ? $"global::System.ReadOnlySpan<{view.ElementType}>"
        : $"global::System.Span<{view.ElementType}>";

    protected override string? ExtraAttribute => "global::System.Runtime.CompilerServices.OverloadResolutionPriority(-1)";

    protected override string How() => $" over host spans, pinned on the CPU fast path, else copied ({Directions()})";
}

/// <summary>The <c>…Async</c> twins of the array and device-array launchers: the same launch on the thread pool.</summary>
internal sealed class AsyncOverloadWriter(IndentedTextWriter writer, KernelNames names)
{
    public void Write(LauncherFamily family, bool explicitExtent)
    {
        OverloadFamilyWriter sync = OverloadFamilyWriter.For(family, writer, names);
        string what = family == LauncherFamily.DeviceArrays ? "on device arrays " : string.Empty;
        string copied = family == LauncherFamily.DeviceArrays ? string.Empty : " and the results are copied out";
        writer.WriteLine($"/// <summary>Runs the <c>[GpuKernel]</c> <see cref=\"{names.Cref}\"/> {what}off the calling thread: the task completes when the launch has run{copied}, or faults with a <see cref=\"global::ParallelKit.GpuKernelException\"/>.</summary>");
        writer.WriteLine(KernelNames.AttributesWith(null));
        string extentParameter = explicitExtent ? $"{names.IndexType} {names.Extent}, " : string.Empty;
        string extentArgument = explicitExtent ? names.Extent + ", " : string.Empty;
        writer.WriteLine($"{names.Kernel.Accessibility} static global::System.Threading.Tasks.Task {names.Bare}Async({extentParameter}{sync.Parameters()})");
        writer.Indent();
        writer.WriteLine($"=> {KernelNames.Runtime}.HostLoop.RunAsync(() => {names.Kernel.Name}({extentArgument}{names.Arguments(static v => v.Name)}));");
        writer.Unindent();
    }
}
