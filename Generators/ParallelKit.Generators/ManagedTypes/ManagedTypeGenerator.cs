using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Rules;

namespace ParallelKit.Generators.ManagedTypes;

/// <summary>
/// Gives each <c>[ManagedType]</c> class the manager-side table that creates and calls it in a <c>ProcessManager</c>'s
/// process, and extension methods beside it: <c>manager.T(…)</c> per public constructor, and one per public method on
/// <c>ManagedProxy&lt;T&gt;</c>, each running the method there (Python's <c>BaseManager.register</c>).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ManagedTypeGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        /// <summary>The per-class transform.</summary>
        public const string Execute = nameof(Execute);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ManagedTypeModel> models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ManagedTypeRules.AttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (context, token) => context.TargetSymbol is INamedTypeSymbol type
                    ? ManagedTypeModelBuilder.TryBuild(type, token)
                    : null)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Execute);

        context.RegisterSourceOutput(models, static (output, model) => output.AddSource(model.HintName, ManagedTypeSourceWriter.Write(model)));
    }
}
