using System.Globalization;
using System.Linq;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;

namespace ParallelKit.Gpu.Generators.Kernels.Writers;

/// <summary>
/// Writes the one method every launcher of a kernel ends in. The skeleton (the gate, the accelerator and its
/// stream, the device copies, copying back, synchronizing, freeing) lives in the runtime's <c>KernelLaunch</c>;
/// what is left here is what only the kernel's signature knows: which view goes which way, the launch itself,
/// and the CPU fast path's call of the host copy over pinned memory.
/// </summary>
internal sealed class LaunchMethodWriter(IndentedTextWriter writer, KernelNames names)
{
    public void Write()
    {
        KernelModel kernel = names.Kernel;
        bool hasHostCopy = kernel.HostBody is not null;
        writer.WriteLine("/// <summary>Where every launcher of the kernel ends: the host copy over pinned memory on the CPU fast path, else a launch on the accelerator with its copies.</summary>");
        writer.WriteLine(KernelNames.AttributesWith(null));
        string parameters = string.Join(", ", names.Parameters.Select(static p => $"{(p.Kind == KernelParameterKind.Scalar ? p.Type : KernelNames.KernelArgType(p))} {p.Name}"));
        using (writer.Block($"private static void {names.LaunchMethod}({names.IndexType} {names.Extent}, {parameters})"))
        {
            writer.WriteLine($"using {KernelNames.Runtime}.KernelLaunch __launch = new(\"{kernel.DisplayName}\", hasHostCopy: {(hasHostCopy ? "true" : "false")});");
            using (writer.Block("try"))
            {
                if (hasHostCopy)
                {
                    WriteHostPath();
                }

                KernelParameterModel[] copiedBack = [.. names.Views.Where(static v => v.Direction != CopyDirection.In)];
                foreach (KernelParameterModel view in hasHostCopy ? copiedBack : names.Views)
                {
                    writer.WriteLine($"{view.Type} {KernelNames.Local(view)} = __launch.{view.Direction}({view.Name});");
                }

                string config = kernel.UsesGroups
                    ? $"__launch.Grouped({names.Extent}, {kernel.GroupSize.ToString(CultureInfo.InvariantCulture)})"
                    : names.Extent;
                string launch = $"{names.CacheField}.For(__launch.Accelerator)(__launch.Stream, {config}, {names.Arguments(v => hasHostCopy && v.Direction == CopyDirection.In ? $"__launch.In({v.Name})" : KernelNames.Local(v))});";
                if (hasHostCopy || kernel.UsesGroups)
                {
                    writer.WriteLine(launch);
                }
                else
                {
                    // No host copy (a view is used beyond its indexers), no group semantics: on the CPU the kernel
                    // itself is called per index over views of the CPU accelerator's memory, not through ILGPU's launch.
                    using (writer.Block("if (__launch.CallsKernelOnHost)"))
                    {
                        writer.WriteLine($"{KernelNames.Runtime}.HostLoop.ForEach({names.Extent}, __index => {kernel.Name}(__index, {names.Arguments(KernelNames.Local)}));");
                    }

                    using (writer.Block("else"))
                    {
                        writer.WriteLine(launch);
                    }

                    writer.WriteLine();
                }

                foreach (KernelParameterModel view in copiedBack)
                {
                    writer.WriteLine($"__launch.CopyBack({KernelNames.Local(view)}, {view.Name});");
                }

                writer.WriteLine("__launch.Complete();");
            }

            using (writer.Block($"catch (global::System.Exception __exception) when ({KernelNames.Runtime}.GpuLaunch.IsKernelFailure(__exception))"))
            {
                writer.WriteLine("throw __launch.Failed(__exception);");
            }
        }
    }

    private void WriteHostPath()
    {
        KernelParameterModel[] views = names.Views;
        foreach (KernelParameterModel view in views.Where(static v => v.Kind == KernelParameterKind.View2D))
        {
            writer.WriteLine($"global::ILGPU.Index2D {KernelNames.Local(view)}Extent = {view.Name}.Extent;");
        }

        using (writer.Block("if (__launch.OnHost)"))
        {
            string hostViews = names.Arguments(v =>
            {
                string pinned = $"__pinned[{System.Array.IndexOf(views, v).ToString(CultureInfo.InvariantCulture)}]";
                return v.Kind == KernelParameterKind.View2D
                    ? $"new {KernelNames.HostViewType(v)}({pinned}, {KernelNames.Local(v)}Extent)"
                    : $"new {KernelNames.HostViewType(v)}({pinned})";
            });
            string spans = string.Join(", ", views.Select(static v => v.Name + ".Bytes"));
            writer.WriteLine($"{KernelNames.Runtime}.HostSpans.Pin(__pinned => {names.OnHost}({names.Extent}, {hostViews}), {spans});");
            writer.WriteLine("return;");
        }

        writer.WriteLine();
    }
}
