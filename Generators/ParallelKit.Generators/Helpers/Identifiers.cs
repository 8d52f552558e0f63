using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ParallelKit.Generators.Helpers;

/// <summary>How generated code spells the names it takes from the user's code.</summary>
internal static class Identifiers
{
    /// <summary>Types as generated code writes them: fully qualified (<c>global::</c>), with their nullable annotations.</summary>
    public static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Namespaces as the runtime names them: no '@' escapes (they end up in hint names and keys).</summary>
    private static readonly SymbolDisplayFormat MetadataNamespaceFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

    /// <summary>
    /// <paramref name="name"/> as an identifier in generated code: prefixed with '@' where it is a keyword or a
    /// contextual keyword. A contextual keyword is a valid name in most places but not all (<c>value</c> in an
    /// accessor, <c>var</c> or <c>dynamic</c> as a type, <c>await</c> in async code), and '@' is always allowed.
    /// </summary>
    public static string Escape(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    /// <summary>The type's full metadata name (<c>Ns.Outer+Inner`1</c>), without '@' escapes.</summary>
    public static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString(MetadataNamespaceFormat) + "." + name : name;
    }
}
