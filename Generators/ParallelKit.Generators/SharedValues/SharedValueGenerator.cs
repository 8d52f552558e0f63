using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Diagnostics;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.SharedValues.Models;

namespace ParallelKit.Generators.SharedValues;

/// <summary>
/// Implements the <c>[SharedValue]</c> partial properties of each class over one shared-memory segment per
/// instance: a compile-time layout, lock-guarded accessors, <c>Lock()</c>, arithmetic helpers, <c>Dispose()</c>,
/// and marshaling by handle into jobs and processes.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SharedValueGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        /// <summary>The per-property transform (each builds its class's whole model).</summary>
        public const string Execute = nameof(Execute);

        /// <summary>The classes, one model each, with hint names.</summary>
        public const string Classes = nameof(Classes);

        /// <summary>The stand-ins (or generator diagnostics) of rejected partial properties, one per property.</summary>
        public const string Stubs = nameof(Stubs);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<SharedClassModel> models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                SharedValueModelBuilder.AttributeName,
                static (node, _) => node is PropertyDeclarationSyntax { Parent: ClassDeclarationSyntax },
                static (context, token) => context.TargetSymbol is IPropertySymbol { ContainingType: { } type }
                    ? SharedValueModelBuilder.TryBuild(type, token)
                    : null)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Execute);

        IncrementalValueProvider<EquatableArray<SharedClassModel>> classes = models
            .Collect()
            .Select(static (all, _) => WithHintNames(all
                .GroupBy(static m => m.FullyQualifiedName)
                .OrderBy(static g => g.Key, System.StringComparer.Ordinal)
                .Select(static g => g.First())))
            .WithTrackingName(TrackingNames.Classes);

        context.RegisterSourceOutput(classes.SelectMany(static (all, _) => all.AsImmutableArray()), static (output, model) =>
            output.AddSource(model.HintName, SharedValueSourceWriter.Write(model)));

        // Properties the generator rejects: a throwing stand-in, so that the analyzer's error prints (not CS9248),
        // or, where none can be declared, the analyzer's diagnostic reported from here (see SharedValueStubBuilder).
        IncrementalValuesProvider<SharedValueStubModel> stubs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                SharedValueModelBuilder.AttributeName,
                static (node, _) => node is BasePropertyDeclarationSyntax { Parent: TypeDeclarationSyntax } declaration
                    && declaration.Modifiers.Any(SyntaxKind.PartialKeyword),
                static (context, token) => context.TargetSymbol is IPropertySymbol property
                    ? SharedValueStubBuilder.TryBuild(property, token)
                    : null)
            .Where(static stub => stub is not null)
            .Select(static (stub, _) => stub!)
            .WithTrackingName(TrackingNames.Stubs);

        context.RegisterSourceOutput(stubs.Where(static s => s.Diagnostic is not null), static (output, stub) =>
            output.ReportDiagnostic(GeneratorDiagnostics.Create(stub.Diagnostic!)));

        context.RegisterSourceOutput(stubs.Where(static s => s.Diagnostic is null).Collect(), static (output, all) =>
        {
            foreach (IGrouping<string, SharedValueStubModel> type in all
                .GroupBy(static s => s.FullyQualifiedName)
                .OrderBy(static g => g.Key, System.StringComparer.Ordinal))
            {
                output.AddSource(StubHintName(type.Key), SharedValueSourceWriter.WriteStubs([.. type.OrderBy(static s => s.DisplayName, System.StringComparer.Ordinal)]));
            }
        });
    }

    /// <summary>A hint name for a type's stand-ins: its name in safe characters, and a hash of the exact name (hint names ignore case).</summary>
    private static string StubHintName(string fullyQualifiedName)
    {
        var stem = new System.Text.StringBuilder();
        foreach (char c in fullyQualifiedName.Replace("global::", string.Empty))
        {
            stem.Append(char.IsLetterOrDigit(c) || c is '.' or '_' ? c : '_');
        }

        return stem + "." + HintNames.Hash(fullyQualifiedName) + ".SharedValueStubs.g.cs";
    }

    /// <summary>
    /// Names each class's file <c>{Namespace}.{Outer}.{Type}.SharedValues.g.cs</c>; names that differ only in case
    /// (hint names are compared ignoring case) get a suffix hashed from the exact metadata name.
    /// </summary>
    private static EquatableArray<SharedClassModel> WithHintNames(IEnumerable<SharedClassModel> models)
    {
        SharedClassModel[] all = [.. models];
        string[] names = HintNames.Unique([.. all.Select(static m => HintNames.Stem(m.MetadataName))], [.. all.Select(static m => m.MetadataName)], ".SharedValues.g.cs");
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = all[i] with { HintName = names[i] };
        }

        return all.ToEquatableArray();
    }
}
