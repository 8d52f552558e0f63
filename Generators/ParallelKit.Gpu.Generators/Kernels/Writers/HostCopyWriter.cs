using System.Linq;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;

namespace ParallelKit.Gpu.Generators.Kernels.Writers;

/// <summary>
/// Writes the CPU fast path: the kernel's body over host views (its host copy), and the loop that runs it per
/// index on several threads over the memory the launch pinned.
/// </summary>
internal sealed class HostCopyWriter(IndentedTextWriter writer, KernelNames names)
{
    public void Write()
    {
        KernelModel kernel = names.Kernel;
        writer.WriteLine("/// <summary>The kernel's body over host memory: the CPU fast path, run per index by <see cref=\"global::ParallelKit.Gpu.HostLoop\"/>.</summary>");
        writer.WriteLine(KernelNames.AttributesWith("global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)"));
        writer.WriteLine($"private static void {names.HostCopy}({HostParameters(kernel.IndexName)})");
        if (kernel.HostBodyIsExpression)
        {
            writer.Indent();
            writer.WriteLine($"=> {kernel.HostBody};");
            writer.Unindent();
        }
        else
        {
            WriteBlockBody(kernel.HostBody!);
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>The CPU fast path over pinned memory: the host copy, run per index on several threads.</summary>");
        writer.WriteLine(KernelNames.AttributesWith(null));
        using (writer.Block($"private static void {names.OnHost}({HostParameters(names.Extent)})"))
        {
            string limit = kernel.Rank == 1 ? names.Extent + ".X" : names.Extent;
            string arguments = names.Arguments(static v => v.Name);
            writer.WriteLine($"{KernelNames.Runtime}.HostLoop.For({limit}, (__start, __end) =>");
            writer.WriteLine("{");
            writer.Indent();
            using (writer.Block("for (int __x = __start; __x < __end; __x++)"))
            {
                switch (kernel.Rank)
                {
                    case 1:
                        writer.WriteLine($"{names.HostCopy}(new global::ILGPU.Index1D(__x), {arguments});");
                        break;
                    case 2:
                        using (writer.Block($"for (int __y = 0; __y < {names.Extent}.Y; __y++)"))
                        {
                            writer.WriteLine($"{names.HostCopy}(new global::ILGPU.Index2D(__x, __y), {arguments});");
                        }

                        break;
                    default:
                        using (writer.Block($"for (int __y = 0; __y < {names.Extent}.Y; __y++)"))
                        using (writer.Block($"for (int __z = 0; __z < {names.Extent}.Z; __z++)"))
                        {
                            writer.WriteLine($"{names.HostCopy}(new global::ILGPU.Index3D(__x, __y, __z), {arguments});");
                        }

                        break;
                }
            }

            writer.Unindent();
            writer.WriteLine("});");
        }
    }

    /// <summary>The explicitly grouped entry ILGPU compiles for a kernel with group semantics.</summary>
    public void WriteGroupedEntry()
    {
        writer.WriteLine("/// <summary>The explicitly grouped entry ILGPU compiles: the kernel, called with the thread's global index.</summary>");
        writer.WriteLine(KernelNames.AttributesWith(null));
        writer.WriteLine($"private static void {names.GroupedEntry}({string.Join(", ", names.Parameters.Select(static p => $"{p.Type} {p.Name}"))})");
        writer.Indent();
        writer.WriteLine($"=> {names.Kernel.Name}(new global::ILGPU.Index1D(global::ILGPU.Grid.GlobalIndex.X), {names.Arguments(static v => v.Name)});");
        writer.Unindent();
    }

    private string HostParameters(string index)
        => string.Join(", ", new[] { $"{names.IndexType} {index}" }.Concat(names.Parameters.Select(static p => $"{(p.Kind == KernelParameterKind.Scalar ? p.Type : KernelNames.HostViewType(p))} {p.Name}")));

    /// <summary>The body as the user wrote it, its lines re-indented to the generated member's depth.</summary>
    private void WriteBlockBody(string body)
    {
        string[] lines = body.Replace("\r\n", "\n").Split('\n');
        int indent = lines.Skip(1).Where(static l => l.Trim().Length > 0).Select(static l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        writer.WriteLine(lines[0].Trim());
        foreach (string line in lines.Skip(1))
        {
            string trimmed = line.Length >= indent ? line.Substring(indent) : line.TrimStart();
            if (trimmed.Trim().Length == 0)
            {
                writer.WriteLine();
            }
            else
            {
                writer.WriteLine(trimmed.TrimEnd());
            }
        }
    }
}
