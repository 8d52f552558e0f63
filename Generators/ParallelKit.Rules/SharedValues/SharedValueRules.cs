using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Rules;

/// <summary>
/// The rules a <c>[SharedValue]</c> property and its class must keep (PK2001 to PK2006): a partial instance property
/// with a getter and a setter, of an unmanaged type, in a partial, concrete, non-generic class that declares neither
/// <c>Lock</c> nor <c>Dispose</c>. <c>SharedValueDeclarationAnalyzer</c> reports each violation;
/// <c>SharedValueModelBuilder</c> implements no property with one, and no class with one.
/// </summary>
internal static class SharedValueRules
{
    /// <summary>The metadata name of the attribute that marks a shared value.</summary>
    public const string SharedValueAttributeName = "ParallelKit.SharedValueAttribute";

    /// <summary>Members the generator declares in the class; a user member of such a name blocks generation (PK2006).</summary>
    public static readonly string[] ReservedMemberNames = ["Lock", "Dispose"];

    /// <summary>Whether <paramref name="property"/> carries <c>[SharedValue]</c>.</summary>
    public static bool HasAttribute(ISymbol property)
        => property.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == SharedValueAttributeName);

    /// <summary>
    /// Every rule the property breaks, and every rule its class breaks that is reported on the property (PK2002, PK2005):
    /// the checks of the declaration of a <c>[SharedValue]</c> property, its defining part.
    /// </summary>
    /// <param name="property">The property (its defining part).</param>
    /// <param name="isGenerated">Whether a syntax tree holds generated code (an implementation part there is the generator's).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static List<RuleViolation> CheckProperty(IPropertySymbol property, Func<SyntaxTree, bool> isGenerated, CancellationToken cancellationToken)
    {
        var violations = new List<RuleViolation>();
        if (PartialTypes.DeclarationOf<BasePropertyDeclarationSyntax>(property, cancellationToken) is not { } declaration)
        {
            return violations;
        }

        var location = declaration is PropertyDeclarationSyntax named ? named.Identifier.GetLocation() : declaration.GetLocation();
        if (PartialTypes.NotPartial("PK2002", declaration, location, property.Name) is { } notPartial)
        {
            violations.Add(notPartial);
        }

        if (UnsupportedTypeReason(property.ContainingType) is { } typeReason)
        {
            violations.Add(new RuleViolation("PK2005", location, property.Name, typeReason));
        }

        if (UnsupportedPropertyReason(property) is { } propertyReason)
        {
            violations.Add(new RuleViolation("PK2004", location, propertyReason));
        }
        else if (!property.IsPartialDefinition
            || (property.PartialImplementationPart is { } implementation && !RuleText.IsDeclaredOnlyInGeneratedCode(implementation, isGenerated)))
        {
            violations.Add(new RuleViolation("PK2001", location, property.Name));
        }

        if (CannotBeSharedReason(property.Type) is { } reason)
        {
            violations.Add(new RuleViolation(
                "PK2003",
                declaration.Type.GetLocation(),
                property.Name,
                property.Type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat),
                reason));
        }

        return violations;
    }

    /// <summary>
    /// Whether the generator implements <paramref name="property"/>: a <c>[SharedValue]</c> property with accessors that
    /// breaks no rule, in a class that breaks none either.
    /// </summary>
    public static bool IsImplemented(IPropertySymbol property, Func<SyntaxTree, bool> isGenerated, CancellationToken cancellationToken)
        => HasAttribute(property)
            && PartialTypes.DeclarationOf<PropertyDeclarationSyntax>(property, cancellationToken) is { AccessorList: not null }
            && CheckProperty(property, isGenerated, cancellationToken).Count == 0
            && CheckClass(property.ContainingType, isGenerated).Count == 0;

    /// <summary>
    /// Whether the generator extends <paramref name="type"/> with shared memory, and so makes it marshal by handle
    /// (<c>IMarshalByHandle</c>): it implements one of its <c>[SharedValue]</c> properties. The job rules ask this
    /// before the generated part exists.
    /// </summary>
    public static bool IsExtendedByGenerator(INamedTypeSymbol type, Func<SyntaxTree, bool> isGenerated, CancellationToken cancellationToken)
        => type.TypeKind == TypeKind.Class
            && type.GetMembers().OfType<IPropertySymbol>().Any(p => IsImplemented(p, isGenerated, cancellationToken));

    /// <summary>PK2006: members of the class named as the generated ones (<c>Lock</c>, <c>Dispose</c>), one violation each.</summary>
    /// <param name="type">A class with <c>[SharedValue]</c> properties.</param>
    /// <param name="isGenerated">Whether a syntax tree holds generated code (a member declared only there is the generator's).</param>
    public static List<RuleViolation> CheckClass(INamedTypeSymbol type, Func<SyntaxTree, bool> isGenerated)
    {
        var violations = new List<RuleViolation>();
        foreach (var name in ReservedMemberNames)
        {
            foreach (var member in type.GetMembers(name))
            {
                if (member.IsImplicitlyDeclared || RuleText.IsDeclaredOnlyInGeneratedCode(member, isGenerated))
                {
                    continue;
                }

                var advice = name == "Dispose"
                    ? "release the class's own resources in 'partial void OnDisposing()', which the generated Dispose() calls"
                    : "rename it; the generated Lock() takes the instance's cross-process lock";
                foreach (var location in RuleText.FirstSourceLocation(member))
                {
                    violations.Add(new RuleViolation("PK2006", location, type.Name, name, advice));
                }
            }
        }

        return violations;
    }

    /// <summary>Why values of <paramref name="type"/> cannot live in shared memory (PK2003), or null when they can.</summary>
    public static string? CannotBeSharedReason(ITypeSymbol type)
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

    /// <summary>What makes <paramref name="property"/> a shape the generator cannot implement (PK2004), or null.</summary>
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

    /// <summary>What makes <paramref name="type"/> a class the generator cannot extend (PK2005), or null.</summary>
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
            if (baseType.GetMembers().OfType<IPropertySymbol>().Any(HasAttribute))
            {
                return $"'{type.Name}', whose base class '{baseType.Name}' also has [SharedValue] properties (one segment per object)";
            }

            if (baseType.GetMembers().FirstOrDefault(static m => ReservedMemberNames.Contains(m.Name) && m.DeclaredAccessibility != Accessibility.Private) is { } inherited)
            {
                return $"'{type.Name}', whose base class '{baseType.Name}' declares '{inherited.Name}', which the generated one would hide";
            }
        }

        // The constructor the generator adds (for instances opened from a handle) calls the base class's without arguments.
        if (type.BaseType is { } direct
            && !direct.InstanceConstructors.Any(static c => c.DeclaredAccessibility is not (Accessibility.Private or Accessibility.NotApplicable)
                && c.Parameters.All(static p => p.IsOptional || p.IsParams)))
        {
            return $"'{type.Name}', whose base class '{direct.Name}' has no constructor callable without arguments (instances opened from a handle call it)";
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
}
