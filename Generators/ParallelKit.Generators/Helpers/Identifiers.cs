using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ParallelKit.Generators.Helpers;

/// <summary>How generated code spells the names it takes from the user's code.</summary>
internal static class Identifiers
{
    /// <summary>
    /// The class generated for <paramref name="method"/>: its name and <paramref name="suffix"/>, numbered (2, 3, …) for
    /// overloads. Names are handed out over every method of its type that <paramref name="isMember"/> picks, in
    /// declaration order, skipping the methods' own names (the factories beside the classes) and names handed out
    /// already, so each method gets the same name whichever is built first.
    /// </summary>
    public static string NestedClassName(IMethodSymbol method, System.Func<IMethodSymbol, bool> isMember, string suffix)
    {
        IMethodSymbol[] members = [.. method.ContainingType.GetMembers().OfType<IMethodSymbol>().Where(isMember)];
        var taken = new HashSet<string>(members.Select(m => m.Name), System.StringComparer.Ordinal);
        foreach (IMethodSymbol member in members)
        {
            string name;
            int number = 1;
            do
            {
                name = member.Name + suffix + (number > 1 ? number.ToString(CultureInfo.InvariantCulture) : string.Empty);
                number++;
            }
            while (!taken.Add(name));

            if (SymbolEqualityComparer.Default.Equals(member, method))
            {
                return name;
            }
        }

        // Unreachable: the method is one of the members.
        return method.Name + suffix;
    }

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
