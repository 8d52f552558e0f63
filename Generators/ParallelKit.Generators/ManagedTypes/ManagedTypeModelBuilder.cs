using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Rules;

namespace ParallelKit.Generators.ManagedTypes;

/// <summary>
/// Turns a <c>[ManagedType]</c> class into a <see cref="ManagedTypeModel"/>: its public constructors and the methods
/// its proxy exposes. A class the analyzer rejects (PK2009) gets no model; a method it reports (PK2011) is left out.
/// </summary>
internal static class ManagedTypeModelBuilder
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static ManagedTypeModel? TryBuild(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (ManagedTypeRules.WhyNotManagedType(type, cancellationToken) is not null)
        {
            return null;
        }

        var hierarchy = new List<TypeDeclarationModel>();
        for (INamedTypeSymbol? enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            string keyword = enclosing.IsRecord ? (enclosing.TypeKind == TypeKind.Struct ? "record struct" : "record") : enclosing.TypeKind == TypeKind.Struct ? "struct" : enclosing.TypeKind == TypeKind.Interface ? "interface" : "class";
            hierarchy.Insert(0, new TypeDeclarationModel(keyword, Escape(enclosing.Name)));
        }

        var constructors = new List<ManagedMemberModel>();
        foreach (IMethodSymbol constructor in type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).OrderBy(Order))
        {
            cancellationToken.ThrowIfCancellationRequested();
            constructors.Add(new ManagedMemberModel(string.Empty, type.Name, null, Parameters(constructor)));
        }

        var methods = new List<ManagedMemberModel>();
        foreach (IMethodSymbol method in type.GetMembers().OfType<IMethodSymbol>().Where(ManagedTypeRules.IsCandidate).OrderBy(Order))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ManagedTypeRules.WhyNotProxied(method) is not null)
            {
                continue;
            }

            methods.Add(new ManagedMemberModel(
                Escape(method.Name),
                method.Name,
                method.ReturnsVoid ? null : method.ReturnType.ToDisplayString(TypeFormat),
                Parameters(method)));
        }

        string metadataName = MetadataName(type);
        return new ManagedTypeModel(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            metadataName,
            type.ContainingAssembly.Name,
            type.Name,
            metadataName.Replace('+', '.') + ".ManagedType.g.cs",
            hierarchy.ToEquatableArray(),
            constructors.ToEquatableArray(),
            methods.ToEquatableArray());
    }

    /// <summary>Declaration order: the manager and the proxy number members the same way, whatever the compiler's member order.</summary>
    private static (string Path, int Position) Order(IMethodSymbol method)
        => method.Locations.FirstOrDefault() is { IsInSource: true } location
            ? (location.SourceTree?.FilePath ?? string.Empty, location.SourceSpan.Start)
            : (string.Empty, int.MaxValue);

    private static EquatableArray<ManagedParameterModel> Parameters(IMethodSymbol method)
        => method.Parameters.Select(p => new ManagedParameterModel(
            Escape(p.Name),
            p.Type.ToDisplayString(TypeFormat),
            p.HasExplicitDefaultValue ? DefaultValue(p) : null,
            p.IsParams)).ToEquatableArray();

    /// <summary>A default value as a literal (the extension methods live outside the class, where its constants are out of scope).</summary>
    private static string DefaultValue(IParameterSymbol parameter)
    {
        object? value = parameter.ExplicitDefaultValue;
        string type = parameter.Type.ToDisplayString(TypeFormat);
        if (value is null)
        {
            return parameter.Type.IsReferenceType || parameter.Type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T ? "null" : "default";
        }

        if (parameter.Type.TypeKind == TypeKind.Enum)
        {
            return $"({type})({SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false)})";
        }

        string literal = SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false);
        return value switch
        {
            float => literal + "f",
            double => literal + "d",
            decimal => literal + "m",
            long => literal + "L",
            uint => literal + "u",
            ulong => literal + "UL",
            byte or sbyte or short or ushort => $"({type}){literal}",
            _ => literal,
        };
    }

    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? enclosing = type.ContainingType; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            name = enclosing.MetadataName + "+" + name;
        }

        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
    }

    private static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
