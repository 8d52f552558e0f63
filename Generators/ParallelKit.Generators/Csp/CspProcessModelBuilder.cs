using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Csp.Models;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Rules;

namespace ParallelKit.Generators.Csp;

/// <summary>
/// Turns a <c>[CspProcess]</c> method symbol into a <see cref="CspProcessDeclaration"/>. Declarations the
/// analyzers reject (<see cref="CspRules"/>, PK4001 to PK4003: not static, not in a partial type, generic, ref
/// parameters…) produce no model, so that a mistake gives one clear diagnostic instead of errors in generated code.
/// </summary>
internal static class CspProcessModelBuilder
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeName = CspRules.AttributeName;

    /// <summary>The nested class the generator emits.</summary>
    public const string ProcessesClassName = CspRules.ProcessesClassName;

    private const string ChannelInName = "ParallelKit.ChannelIn`1";
    private const string ChannelOutName = "ParallelKit.ChannelOut`1";

    private static readonly SymbolDisplayFormat CrefTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.UseSpecialTypes
            | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

    private static readonly SymbolDisplayFormat MetadataNamespaceFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

    /// <summary>Builds the model, or null for a declaration an analyzer reports.</summary>
    public static CspProcessDeclaration? TryBuild(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        if (!CspRules.IsValid(method, compilation, tree => GeneratedCodeDetector.IsGenerated(tree, null, cancellationToken), cancellationToken))
        {
            return null;
        }

        var hierarchy = new List<CspTypeDeclarationModel>();
        for (INamedTypeSymbol? enclosing = method.ContainingType; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            hierarchy.Insert(0, new CspTypeDeclarationModel(Keyword(enclosing), Escape(enclosing.Name)));
        }

        INamedTypeSymbol containing = method.ContainingType!;

        INamedTypeSymbol? tokenType = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        INamedTypeSymbol? inType = compilation.GetTypeByMetadataName(ChannelInName);
        INamedTypeSymbol? outType = compilation.GetTypeByMetadataName(ChannelOutName);
        var parameters = new List<CspParameterModel>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            CspParameterKind kind = CspParameterKind.Value;
            bool isInput = false;
            string? element = null;
            if (SymbolEqualityComparer.Default.Equals(parameter.Type, tokenType))
            {
                kind = CspParameterKind.CancellationToken;
            }
            else if (AsEnd(parameter.Type, inType, outType, out isInput, out element))
            {
                kind = CspParameterKind.End;
            }
            else if (parameter.Type is IArrayTypeSymbol { Rank: 1 } array && AsEnd(array.ElementType, inType, outType, out isInput, out element))
            {
                kind = CspParameterKind.EndArray;
            }
            else if (parameter.Type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } list
                && IsListShape(list)
                && AsEnd(list.TypeArguments[0], inType, outType, out isInput, out element))
            {
                kind = CspParameterKind.EndList;
            }

            parameters.Add(new CspParameterModel(
                Escape(parameter.Name),
                "_" + parameter.Name,
                parameter.Type.ToDisplayString(Identifiers.TypeFormat),
                kind,
                isInput,
                element));
        }

        (JobReturnKind kind2, string? resultType) = ParallelKit.Generators.Jobs.JobModelBuilder.ClassifyReturn(method, compilation);
        cancellationToken.ThrowIfCancellationRequested();

        string typeMetadataName = MetadataName(containing);
        string signature = string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
        ulong key = StableHash.Fnv1a64($"csp|{compilation.AssemblyName}|{typeMetadataName}.{method.Name}({signature})");
        string cref = Escape(method.Name) + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(CrefTypeFormat))) + ")";
        var process = new CspProcessModel(
            Escape(method.Name),
            ClassName(method),
            containing.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) + "." + method.Name,
            method.DeclaredAccessibility == Accessibility.Public ? "public" : "internal",
            kind2,
            resultType,
            key,
            cref.Replace('<', '{').Replace('>', '}'),
            parameters.ToEquatableArray(),
            ReadPropagate(method));
        var type = new CspTypeModel(
            containing.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            containing.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            typeMetadataName,
            hierarchy.ToEquatableArray(),
            EquatableArray<CspProcessModel>.Empty);
        return new CspProcessDeclaration(type, process);
    }

    /// <summary>Whether <paramref name="type"/> is <c>ChannelIn&lt;T&gt;</c> or <c>ChannelOut&lt;T&gt;</c>.</summary>
    public static bool AsEnd(ITypeSymbol type, INamedTypeSymbol? inType, INamedTypeSymbol? outType, out bool isInput, out string? element)
    {
        isInput = false;
        element = null;
        if (type is not INamedTypeSymbol { IsGenericType: true } named)
        {
            return false;
        }

        INamedTypeSymbol definition = named.OriginalDefinition;
        if (SymbolEqualityComparer.Default.Equals(definition, inType))
        {
            isInput = true;
        }
        else if (!SymbolEqualityComparer.Default.Equals(definition, outType))
        {
            return false;
        }

        element = named.TypeArguments[0].ToDisplayString(Identifiers.TypeFormat);
        return true;
    }

    private static bool IsListShape(INamedTypeSymbol type)
        => type.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.List<T>"
            or "System.Collections.Generic.IList<T>"
            or "System.Collections.Generic.IReadOnlyList<T>"
            or "System.Collections.Generic.IEnumerable<T>";

    private static bool IsProcessMethod(IMethodSymbol method)
        => method.MethodKind == MethodKind.Ordinary
            && CspRules.IsProcess(method);

    /// <summary><c>{Method}Process</c>, numbered in declaration order for overloads, skipping names already taken by factories.</summary>
    private static string ClassName(IMethodSymbol method) => Identifiers.NestedClassName(method, IsProcessMethod, "Process");

    private static bool ReadPropagate(IMethodSymbol method)
    {
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != AttributeName)
            {
                continue;
            }

            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == "Propagate" && argument.Value.Value is bool value)
                {
                    return value;
                }
            }
        }

        return true;
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString(MetadataNamespaceFormat) + "." + name : name;
    }

    private static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
