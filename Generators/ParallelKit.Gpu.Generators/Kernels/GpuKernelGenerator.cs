using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;
using ParallelKit.Rules;

namespace ParallelKit.Gpu.Generators.Kernels;

/// <summary>
/// Generates, for every <c>[GpuKernel]</c> method, host launchers of the same name on its partial type:
/// overloads taking arrays or spans (each copied in, out or both as the body uses it) or device arrays
/// (kept on the device), with an implicit or explicit extent, <c>Async</c> twins of the array and
/// device-array forms, and the host copy of the body that runs the kernel as plain multithreaded C# on the CPU.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GpuKernelGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        /// <summary>The per-kernel transform.</summary>
        public const string Execute = nameof(Execute);

        /// <summary>Every kernel with its hint name.</summary>
        public const string Files = nameof(Files);
    }

    private const string AttributeName = KernelRules.GpuKernelAttributeName;

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<KernelFileModel> kernels = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, token) => context.TargetSymbol is IMethodSymbol method && context.TargetNode is MethodDeclarationSyntax syntax
                    ? KernelModelBuilder.TryBuild(method, syntax, context.Attributes[0], context.SemanticModel, token)
                    : null)
            .Where(static kernel => kernel is not null)
            .Select(static (kernel, _) => kernel!)
            .WithTrackingName(TrackingNames.Execute);

        IncrementalValueProvider<EquatableArray<KernelFileModel>> files = kernels
            .Collect()
            .Select(static (all, _) => WithHintNames(all))
            .WithTrackingName(TrackingNames.Files);

        context.RegisterSourceOutput(files.SelectMany(static (all, _) => all.AsImmutableArray()), static (output, file) =>
            output.AddSource(file.HintName, KernelSourceWriter.Write(file)));
    }

    /// <summary>
    /// Names each kernel's file <c>{Namespace}.{Outer}.{Type}.{Kernel}.GpuKernel.g.cs</c>, in a stable order.
    /// Overloaded kernels, and names that differ only in case (hint names are compared ignoring case), get
    /// a suffix hashed from the kernel's parameter types, stable across runs; overloaded kernels also get it
    /// on their private generated members, which would otherwise collide.
    /// </summary>
    private static EquatableArray<KernelFileModel> WithHintNames(IEnumerable<KernelFileModel> files)
    {
        KernelFileModel[] all = [.. files
            .OrderBy(static f => f.TypeMetadataName, System.StringComparer.Ordinal)
            .ThenBy(static f => f.Kernel.Name, System.StringComparer.Ordinal)
            .ThenBy(static f => Signature(f), System.StringComparer.Ordinal)];
        string[] stems = [.. all.Select(static f => HintNames.Stem(f.TypeMetadataName) + "." + f.Kernel.Name.TrimStart('@'))];
        var counts = stems.GroupBy(static s => s, System.StringComparer.OrdinalIgnoreCase).ToDictionary(static g => g.Key, static g => g.Count(), System.StringComparer.OrdinalIgnoreCase);
        var overloads = stems.GroupBy(static s => s, System.StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.Count(), System.StringComparer.Ordinal);
        for (int i = 0; i < all.Length; i++)
        {
            string hash = HintNames.Hash(all[i].TypeMetadataName + "." + all[i].Kernel.Name + Signature(all[i]));
            string suffix = counts[stems[i]] > 1 ? "." + hash : string.Empty;
            all[i] = all[i] with
            {
                HintName = stems[i] + suffix + ".GpuKernel.g.cs",
                MemberSuffix = overloads[stems[i]] > 1 ? "_" + hash : string.Empty,
            };
        }

        return all.ToEquatableArray();
    }

    private static string Signature(KernelFileModel file)
        => file.Kernel.Rank.ToString(CultureInfo.InvariantCulture) + "(" + string.Join(",", file.Kernel.Parameters.Select(static p => p.Type)) + ")";
}
