using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using ParallelKit.Analyzers.Helpers;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Analyzers.SharedValues;

/// <summary>
/// Checks every <c>[SharedValue]</c> property against what the generator needs (PK2001 to PK2006): a partial
/// instance property with a getter and a setter, of an unmanaged type, in a partial, concrete, non-generic class
/// that declares neither <c>Lock</c> nor <c>Dispose</c>.
/// </summary>
/// <remarks>
/// The generator (<c>SharedValueModelBuilder</c>) implements none of the declarations reported here, so that a
/// mistake gives one diagnostic rather than errors in generated code; the two must be kept in step.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SharedValueDeclarationAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The metadata name of the attribute that marks a shared value.</summary>
    public const string SharedValueAttributeName = "ParallelKit.SharedValueAttribute";

    /// <summary>The members the generator declares in a class with <c>[SharedValue]</c> properties.</summary>
    private static readonly string[] s_generatedMemberNames = ["Lock", "Dispose"];

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        SharedValuePropertyMustBePartial,
        SharedValueMustBeInPartialType,
        SharedValueTypeCannotBeShared,
        SharedValueUnsupportedProperty,
        SharedValueUnsupportedType,
        SharedValueMemberConflict,
    ];

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
        if (property.PartialDefinitionPart is not null || !IsSharedValue(property, attribute)
            || property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is not BasePropertyDeclarationSyntax declaration)
        {
            return;
        }

        var location = declaration is PropertyDeclarationSyntax named ? named.Identifier.GetLocation() : declaration.GetLocation();
        var type = property.ContainingType;

        var nonPartial = JobSyntax.GetNonPartialEnclosingTypes(declaration);
        if (nonPartial.Count > 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                SharedValueMustBeInPartialType,
                location,
                nonPartial.Select(t => t.Identifier.GetLocation()),
                property.Name,
                JoinWithAnd(nonPartial.Select(t => "'" + t.Identifier.ValueText + "'").ToList())));
        }

        if (UnsupportedTypeReason(type) is { } typeReason)
        {
            context.ReportDiagnostic(Diagnostic.Create(SharedValueUnsupportedType, location, property.Name, typeReason));
        }

        if (UnsupportedPropertyReason(property) is { } propertyReason)
        {
            context.ReportDiagnostic(Diagnostic.Create(SharedValueUnsupportedProperty, location, propertyReason));
        }
        else if (!property.IsPartialDefinition
            || (property.PartialImplementationPart is { } implementation && !IsDeclaredOnlyInGeneratedCode(implementation, context.Options, context.CancellationToken)))
        {
            context.ReportDiagnostic(Diagnostic.Create(SharedValuePropertyMustBePartial, location, property.Name));
        }

        if (CannotBeSharedReason(property.Type) is { } reason)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                SharedValueTypeCannotBeShared,
                declaration.Type.GetLocation(),
                property.Name,
                property.Type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat),
                reason));
        }
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!type.GetMembers().OfType<IPropertySymbol>().Any(p => IsSharedValue(p, attribute)))
        {
            return;
        }

        foreach (var name in s_generatedMemberNames)
        {
            foreach (var member in type.GetMembers(name))
            {
                if (member.IsImplicitlyDeclared || IsDeclaredOnlyInGeneratedCode(member, context.Options, context.CancellationToken))
                {
                    continue;
                }

                var advice = name == "Dispose"
                    ? "release the class's own resources in 'partial void OnDisposing()', which the generated Dispose() calls"
                    : "rename it; the generated Lock() takes the instance's cross-process lock";
                foreach (var location in member.Locations.Where(l => l.IsInSource).Take(1))
                {
                    context.ReportDiagnostic(Diagnostic.Create(SharedValueMemberConflict, location, type.Name, name, advice));
                }
            }
        }
    }

    /// <summary>What makes <paramref name="property"/> a shape the generator cannot implement, or null.</summary>
    private static string? UnsupportedPropertyReason(IPropertySymbol property)
    {
        if (property.IsIndexer)
        {
            return "an indexer";
        }

        if (property.IsStatic)
        {
            return $"the static property '{property.Name}'";
        }

        if (property.RefKind != RefKind.None)
        {
            return $"the ref-returning property '{property.Name}'";
        }

        if (property.GetMethod is null)
        {
            return $"the set-only property '{property.Name}'";
        }

        return property.SetMethod is null ? $"the get-only property '{property.Name}'" : null;
    }

    /// <summary>What makes <paramref name="type"/> a class the generator cannot extend, or null.</summary>
    private static string? UnsupportedTypeReason(INamedTypeSymbol type)
    {
        for (var enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            if (enclosing.IsGenericType)
            {
                return $"the generic type '{enclosing.Name}'";
            }

            if (enclosing.IsFileLocal)
            {
                return $"the file-local type '{enclosing.Name}'";
            }
        }

        switch (type)
        {
            case { IsRecord: true }:
                return $"the record '{type.Name}'";
            case { TypeKind: TypeKind.Struct }:
                return $"the struct '{type.Name}'";
            case { TypeKind: TypeKind.Interface }:
                return $"the interface '{type.Name}'";
            case { TypeKind: not TypeKind.Class }:
                return $"'{type.Name}'";
            case { IsStatic: true }:
                return $"the static class '{type.Name}'";
            case { IsAbstract: true }:
                return $"the abstract class '{type.Name}'";
        }

        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (baseType.GetMembers().OfType<IPropertySymbol>().Any(p => IsSharedValue(p, null)))
            {
                return $"'{type.Name}', whose base class '{baseType.Name}' also has [SharedValue] properties (one segment per object)";
            }

            if (baseType.GetMembers().FirstOrDefault(m => s_generatedMemberNames.Contains(m.Name) && m.DeclaredAccessibility != Accessibility.Private) is { } inherited)
            {
                return $"'{type.Name}', whose base class '{baseType.Name}' declares '{inherited.Name}', which the generated one would hide";
            }
        }

        if (type.BaseType is { } direct
            && !direct.InstanceConstructors.Any(c => c.DeclaredAccessibility is not (Accessibility.Private or Accessibility.NotApplicable)
                && c.Parameters.All(p => p.IsOptional || p.IsParams)))
        {
            return $"'{type.Name}', whose base class '{direct.Name}' has no constructor callable without arguments (instances opened from a handle call it)";
        }

        return null;
    }

    /// <summary>Why values of <paramref name="type"/> cannot live in shared memory, or null when they can.</summary>
    internal static string? CannotBeSharedReason(ITypeSymbol type)
    {
        if (type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer || ContainsPointer(type, 0))
        {
            return "a pointer means nothing in another process; store an offset or an index instead";
        }

        if (type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            return "Nullable<T> is not supported; store a separate bool property for 'has a value'";
        }

        if (!type.IsUnmanagedType)
        {
            return "it is not an unmanaged type (it holds references to the managed heap of one process); keep managed data in a ProcessManager (manager.Dictionary, manager.List) or pass it to jobs as arguments";
        }

        return null;
    }

    private static bool ContainsPointer(ITypeSymbol type, int depth)
    {
        if (type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
        {
            return true;
        }

        if (depth > 8 || type.TypeKind != TypeKind.Struct || type.SpecialType != SpecialType.None)
        {
            return false;
        }

        return type.GetMembers().OfType<IFieldSymbol>().Any(f => !f.IsStatic && ContainsPointer(f.Type, depth + 1));
    }

    private static bool IsDeclaredOnlyInGeneratedCode(ISymbol member, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        var references = member.DeclaringSyntaxReferences;
        return !references.IsEmpty && references.All(r => GeneratedCodeDetector.IsGenerated(r.SyntaxTree, options, cancellationToken));
    }

    private static string JoinWithAnd(List<string> items)
        => items.Count == 1
            ? items[0]
            : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[items.Count - 1];
}
