using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using ParallelKit.Rules;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Analyzers.SharedValues;

/// <summary>
/// Checks every <c>[SharedValue]</c> property against what the generator needs (PK2001 to PK2006): a partial
/// instance property with a getter and a setter, of an unmanaged type, in a partial, concrete, non-generic class
/// that declares neither <c>Lock</c> nor <c>Dispose</c>.
/// </summary>
/// <remarks>
/// The rules themselves are <c>SharedValueRules</c>, which the generator (<c>SharedValueModelBuilder</c>) asks too: it
/// implements none of the declarations reported here.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SharedValueDeclarationAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The metadata name of the attribute that marks a shared value.</summary>
    public const string SharedValueAttributeName = SharedValueRules.SharedValueAttributeName;

    private static readonly Dictionary<string, DiagnosticDescriptor> s_descriptors = new DiagnosticDescriptor[]
    {
        SharedValuePropertyMustBePartial,
        SharedValueMustBeInPartialType,
        SharedValueTypeCannotBeShared,
        SharedValueUnsupportedProperty,
        SharedValueUnsupportedType,
        SharedValueMemberConflict,
    }.ToDictionary(static d => d.Id);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [.. s_descriptors.Values];

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (start.Compilation.GetTypeByMetadataName(SharedValueAttributeName) is not { } attribute)
            {
                return;
            }

            start.RegisterSymbolAction(context => AnalyzeProperty(context, attribute), SymbolKind.Property);
            start.RegisterSymbolAction(context => AnalyzeType(context, attribute), SymbolKind.NamedType);
        });
    }

    /// <summary>Whether <paramref name="property"/> carries <c>[SharedValue]</c>.</summary>
    internal static bool IsSharedValue(IPropertySymbol property, INamedTypeSymbol? attribute)
        => property.GetAttributes().Any(a => attribute is null
            ? a.AttributeClass?.ToDisplayString() == SharedValueAttributeName
            : SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));

    private static void AnalyzeProperty(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        var property = (IPropertySymbol)context.Symbol;
        if (property.PartialDefinitionPart is not null || !IsSharedValue(property, attribute))
        {
            return;
        }

        Report(context, SharedValueRules.CheckProperty(property, IsGenerated(context), context.CancellationToken));
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.GetMembers().OfType<IPropertySymbol>().Any(p => IsSharedValue(p, attribute)))
        {
            Report(context, SharedValueRules.CheckClass(type, IsGenerated(context)));
        }
    }

    private static void Report(SymbolAnalysisContext context, List<RuleViolation> violations)
    {
        foreach (var violation in violations)
        {
            context.ReportDiagnostic(violation.ToDiagnostic(s_descriptors));
        }
    }

    private static System.Func<SyntaxTree, bool> IsGenerated(SymbolAnalysisContext context)
    {
        var options = context.Options;
        var cancellationToken = context.CancellationToken;
        return tree => GeneratedCodeDetector.IsGenerated(tree, options, cancellationToken);
    }
}
