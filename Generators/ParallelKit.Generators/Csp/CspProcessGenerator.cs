using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Csp.Models;
using ParallelKit.Generators.Helpers;

namespace ParallelKit.Generators.Csp;

/// <summary>
/// Generates, for every <c>[CspProcess]</c> method, a factory in the nested <c>Processes</c> class returning a
/// <c>CspProcessCall</c> (run in this process, or marshaled to an OS process of its own), and for every
/// assembly with processes, a process table that registers them for OS-process runs.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CspProcessGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        /// <summary>The per-method transform.</summary>
        public const string Execute = nameof(Execute);

        /// <summary>Processes grouped by their declaring type.</summary>
        public const string Types = nameof(Types);

        /// <summary>The process table input.</summary>
        public const string Table = nameof(Table);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<CspProcessDeclaration> processes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                CspProcessModelBuilder.AttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, token) => context.TargetSymbol is IMethodSymbol method
                    ? CspProcessModelBuilder.TryBuild(method, context.SemanticModel.Compilation, token)
                    : null)
            .Where(static p => p is not null)
            .Select(static (p, _) => p!)
            .WithTrackingName(TrackingNames.Execute);

        IncrementalValueProvider<EquatableArray<CspTypeModel>> types = processes
            .Collect()
            .Select(static (all, _) => all
                .GroupBy(static p => p.Type.FullyQualifiedName)
                .OrderBy(static g => g.Key, System.StringComparer.Ordinal)
                .Select(static g => g.First().Type with { Processes = g.Select(static p => p.Process).ToEquatableArray() })
                .ToEquatableArray())
            .WithTrackingName(TrackingNames.Types);

        context.RegisterSourceOutput(types.SelectMany(static (all, _) => all.AsImmutableArray()), static (output, type) =>
            output.AddSource(CspProcessSourceWriter.HintName(type), CspProcessSourceWriter.WriteProcessesClass(type)));

        IncrementalValueProvider<(EquatableArray<CspTypeModel> Types, string Assembly)> table = types
            .Combine(context.CompilationProvider.Select(static (compilation, _) => compilation.AssemblyName ?? "Assembly"))
            .WithTrackingName(TrackingNames.Table);

        context.RegisterSourceOutput(table, static (output, input) =>
        {
            if (!input.Types.IsEmpty)
            {
                output.AddSource("ParallelKit.CspProcessTable.g.cs", CspProcessSourceWriter.WriteProcessTable(input.Assembly, input.Types));
            }
        });
    }
}
