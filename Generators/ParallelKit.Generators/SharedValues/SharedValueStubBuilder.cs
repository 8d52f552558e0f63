using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Diagnostics;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.SharedValues.Models;
using ParallelKit.Rules;

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

        // Where no other file can add a part to the type (not partial, or file-local), the rule's own diagnostic goes out from here.
        List<RuleViolation> violations = SharedValueRules.CheckProperty(property, static _ => false, cancellationToken);
        if (violations.Find(static v => v.Id == "PK2002") is { } notPartial)
        {
            return Diagnostic(notPartial);
        }

        for (INamedTypeSymbol? enclosing = property.ContainingType; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            if (enclosing.IsFileLocal && violations.Find(static v => v.Id == "PK2005") is { } fileLocal)
            {
                return Diagnostic(fileLocal);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        INamedTypeSymbol type = property.ContainingType;
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
            : Identifiers.Escape(property.Name);
        string declaration = $"{string.Join(" ", modifiers.Append("partial"))} {refKind}{property.Type.ToDisplayString(Identifiers.TypeFormat)} {name}";

        return new SharedValueStubModel(
            TypeHierarchy.NamespaceOf(type),
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            TypeHierarchy.From(type, withTypeParameters: true),
            declaration,
            accessorList.ToEquatableArray(),
            $"{type.Name}.{property.Name}",
            Diagnostic: null);
    }

    private static SharedValueStubModel Diagnostic(RuleViolation violation)
        => new(
            null,
            string.Empty,
            EquatableArray<TypeDeclarationModel>.Empty,
            string.Empty,
            EquatableArray<string>.Empty,
            string.Empty,
            new DiagnosticModel(violation.Id, LocationModel.From(violation.Location), violation.Arguments.Select(static a => a?.ToString() ?? string.Empty).ToEquatableArray()));

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

        return prefix + parameter.Type.ToDisplayString(Identifiers.TypeFormat) + " " + Identifiers.Escape(parameter.Name);
    }

    private static bool ContainsPointer(ITypeSymbol type)
        => type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer
            || (type is IArrayTypeSymbol array && ContainsPointer(array.ElementType));
}
