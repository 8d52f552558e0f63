using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Diagnostics;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Generators.SharedValues.Models;

namespace ParallelKit.Generators.SharedValues;

/// <summary>
/// Decides what a <c>[SharedValue]</c> partial property that the generator does not implement gets instead.
/// Without an implementation part the compiler stops at CS9248, a declaration error, before any analyzer runs, and
/// the PK diagnostic that says what is wrong never prints on the command line. So such a property gets a stand-in
/// implementation whose accessors throw, and the analyzer's error is what the build reports. Where no other file can
/// add a part to its type (a type that is not partial, or is file-local), the compiler's error cannot be avoided:
/// the generator then reports the PK diagnostic itself, beside it.
/// </summary>
internal static class SharedValueStubBuilder
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// The stand-in or the diagnostic for <paramref name="property"/>, or null when it needs neither (the generator
    /// implements it, it is not a partial definition, or the user implemented it).
    /// </summary>
    public static SharedValueStubModel? TryBuild(IPropertySymbol property, CancellationToken cancellationToken)
    {
        if (!property.IsPartialDefinition || property.PartialImplementationPart is not null
            || !property.ExplicitInterfaceImplementations.IsEmpty
            || property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not BasePropertyDeclarationSyntax { AccessorList: { } accessors } syntax
            || SharedValueModelBuilder.IsImplemented(property, cancellationToken))
        {
            return null;
        }

        Location location = syntax is PropertyDeclarationSyntax named ? named.Identifier.GetLocation() : syntax.GetLocation();
        List<string> nonPartial = [.. syntax.Ancestors().OfType<TypeDeclarationSyntax>()
            .Where(static t => !t.Modifiers.Any(SyntaxKind.PartialKeyword))
            .Reverse()
            .Select(static t => "'" + t.Identifier.ValueText + "'")];
        if (nonPartial.Count > 0)
        {
            return Diagnostic(GeneratorDiagnostics.SharedValueMustBeInPartialType.Id, location, property.Name, JoinWithAnd(nonPartial));
        }

        for (INamedTypeSymbol? enclosing = property.ContainingType; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            if (enclosing.IsFileLocal)
            {
                return Diagnostic(GeneratorDiagnostics.SharedValueUnsupportedType.Id, location, property.Name, $"the file-local type '{enclosing.Name}'");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        INamedTypeSymbol type = property.ContainingType;
        var hierarchy = new List<TypeDeclarationModel>();
        for (INamedTypeSymbol? enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            hierarchy.Insert(0, new TypeDeclarationModel(Keyword(enclosing), Escape(enclosing.Name) + TypeParameters(enclosing)));
        }

        List<string> accessorList = [.. accessors.Accessors.Select(static a =>
            (a.Modifiers.Count > 0 ? string.Join(" ", a.Modifiers.Select(static m => m.Text)) + " " : string.Empty) + a.Keyword.Text)];

        List<string> modifiers = [.. syntax.Modifiers.Where(static m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(static m => m.Text)];
        if (ContainsPointer(property.Type) && !modifiers.Contains("unsafe"))
        {
            modifiers.Add("unsafe");
        }

        string refKind = property.RefKind switch
        {
            RefKind.Ref => "ref ",
            RefKind.RefReadOnly => "ref readonly ",
            _ => string.Empty,
        };
        string name = property.IsIndexer
            ? "this[" + string.Join(", ", property.Parameters.Select(Parameter)) + "]"
            : Escape(property.Name);
        string declaration = $"{string.Join(" ", modifiers.Append("partial"))} {refKind}{property.Type.ToDisplayString(TypeFormat)} {name}";

        return new SharedValueStubModel(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            hierarchy.ToEquatableArray(),
            declaration,
            accessorList.ToEquatableArray(),
            $"{type.Name}.{property.Name}",
            Diagnostic: null);
    }

    private static SharedValueStubModel Diagnostic(string id, Location location, params string[] arguments)
        => new(null, string.Empty, EquatableArray<TypeDeclarationModel>.Empty, string.Empty, EquatableArray<string>.Empty, string.Empty, new DiagnosticModel(id, LocationModel.From(location), arguments.ToEquatableArray()));

    private static string Parameter(IParameterSymbol parameter)
    {
        string prefix = parameter.RefKind switch
        {
            RefKind.In => "in ",
            RefKind.RefReadOnlyParameter => "ref readonly ",
            RefKind.Ref => "ref ",
            _ => string.Empty,
        };
        if (parameter.IsParams)
        {
            prefix = "params " + prefix;
        }

        return prefix + parameter.Type.ToDisplayString(TypeFormat) + " " + Escape(parameter.Name);
    }

    private static string TypeParameters(INamedTypeSymbol type)
        => type.TypeParameters.IsEmpty
            ? string.Empty
            : "<" + string.Join(", ", type.TypeParameters.Select(static p => p.Variance switch
            {
                VarianceKind.In => "in ",
                VarianceKind.Out => "out ",
                _ => string.Empty,
            } + Escape(p.Name))) + ">";

    private static bool ContainsPointer(ITypeSymbol type)
        => type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer
            || (type is IArrayTypeSymbol array && ContainsPointer(array.ElementType));

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string JoinWithAnd(List<string> items)
        => items.Count == 1
            ? items[0]
            : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[items.Count - 1];

    private static string Escape(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;
}
