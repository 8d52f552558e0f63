using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Generators.SharedValues.Models;

namespace ParallelKit.Generators.SharedValues;

/// <summary>
/// Turns a class with <c>[SharedValue]</c> properties into a <see cref="SharedClassModel"/>: which properties the
/// generator implements, and the segment layout (declaration order, each value aligned to its size rounded up to
/// a power of two, at most 16). Declarations the analyzers reject (PK2001 to PK2006) get no implementation, so
/// that a mistake gives one clear diagnostic instead of errors in generated code; <see cref="SharedValueStubBuilder"/>
/// gives them a stand-in that compiles, so that the analyzer's diagnostic is what the build reports.
/// </summary>
/// <remarks>The analyzer's <c>SharedValueDeclarationAnalyzer</c> reports the same rules; keep the two in step.</remarks>
internal static class SharedValueModelBuilder
{
    public const string AttributeName = "ParallelKit.SharedValueAttribute";

    /// <summary>Members the generator declares in the class; a user member of such a name blocks generation (PK2006).</summary>
    public static readonly string[] ReservedMemberNames = ["Lock", "Dispose"];

    private const int MaxAlignment = 16;

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat MetadataNamespaceFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

    /// <summary>Builds the model of <paramref name="type"/>, or null when it has nothing the generator may implement.</summary>
    public static SharedClassModel? TryBuild(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (!IsSupportedClass(type, cancellationToken) || type.GetMembers().Any(m => !m.IsImplicitlyDeclared && ReservedMemberNames.Contains(m.Name)))
        {
            return null;
        }

        var hierarchy = new List<TypeDeclarationModel>();
        for (INamedTypeSymbol? enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            hierarchy.Insert(0, new TypeDeclarationModel(Keyword(enclosing), Escape(enclosing.Name)));
        }

        var properties = new List<SharedPropertyModel>();
        int end = 0;
        foreach (IPropertySymbol property in type.GetMembers().OfType<IPropertySymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!HasAttribute(property) || !IsSupportedProperty(property)
                || property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not PropertyDeclarationSyntax { AccessorList: not null } syntax)
            {
                continue;
            }

            (int size, int naturalAlignment, bool exact) = Layout(property.Type, 0);
            int alignment = Math.Min(MaxAlignment, Math.Max(naturalAlignment, NextPowerOfTwo(size)));
            int offset = Align(end, alignment);
            end = offset + size;

            SharedNumericKind numeric = Numeric(property.Type);
            string plain = property.Name;
            properties.Add(new SharedPropertyModel(
                Escape(plain),
                plain,
                property.Type.ToDisplayString(TypeFormat),
                string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text)),
                syntax.AccessorList.Accessors.Select(a => new SharedAccessorModel(a.Keyword.Text, string.Join(" ", a.Modifiers.Select(m => m.Text)))).ToEquatableArray(),
                offset,
                size,
                alignment,
                !exact,
                numeric,
                AccessibilityText(property.SetMethod!.DeclaredAccessibility),
                numeric != SharedNumericKind.None ? FreeName(type, "Add" + plain) : null,
                numeric == SharedNumericKind.Integral ? FreeName(type, "Increment" + plain) : null,
                numeric == SharedNumericKind.Integral ? FreeName(type, "Decrement" + plain) : null));
        }

        if (properties.Count == 0)
        {
            return null;
        }

        string metadataName = MetadataName(type);
        string layout = string.Join(";", properties.Select(p => string.Format(CultureInfo.InvariantCulture, "{0}:{1}:{2}:{3}", p.PlainName, p.Type, p.Offset, p.Size)));
        return new SharedClassModel(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            metadataName,
            type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat),
            Escape(type.Name),
            HintName: string.Empty,
            hierarchy.ToEquatableArray(),
            type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared),
            Math.Max(8, Align(end, 8)),
            StableHash.Fnv1a64("ParallelKit.SharedValue|" + metadataName + "|" + layout),
            properties.ToEquatableArray());
    }

    /// <summary>
    /// Whether the generator implements <paramref name="property"/>: the same tests as <see cref="TryBuild"/> (a
    /// supported class without a user-declared <c>Lock</c> or <c>Dispose</c>, a supported property with accessors).
    /// </summary>
    public static bool IsImplemented(IPropertySymbol property, CancellationToken cancellationToken)
        => HasAttribute(property)
            && IsSupportedProperty(property)
            && property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is PropertyDeclarationSyntax { AccessorList: not null }
            && IsSupportedClass(property.ContainingType, cancellationToken)
            && !property.ContainingType.GetMembers().Any(m => !m.IsImplicitlyDeclared && ReservedMemberNames.Contains(m.Name));

    /// <summary>Whether <paramref name="property"/> carries <c>[SharedValue]</c>.</summary>
    public static bool HasAttribute(ISymbol property)
        => property.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName);

    /// <summary>
    /// A class the generator can extend (PK2002, PK2005): a partial, non-static, non-abstract, non-generic class
    /// (not a record) in partial types, not file-local, whose base classes have no <c>[SharedValue]</c> property and
    /// no <c>Lock</c> or <c>Dispose</c> that the generated ones would hide.
    /// </summary>
    private static bool IsSupportedClass(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Class || type.IsRecord || type.IsStatic || type.IsAbstract)
        {
            return false;
        }

        for (INamedTypeSymbol? enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            if (enclosing.IsGenericType || enclosing.IsFileLocal || !IsPartial(enclosing, cancellationToken))
            {
                return false;
            }
        }

        for (INamedTypeSymbol? baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (baseType.GetMembers().OfType<IPropertySymbol>().Any(HasAttribute)
                || baseType.GetMembers().Any(m => ReservedMemberNames.Contains(m.Name) && m.DeclaredAccessibility != Accessibility.Private))
            {
                return false;
            }
        }

        return HasCallableBaseConstructor(type);
    }

    /// <summary>
    /// Whether the constructor the generator adds (for instances opened from a handle) can call the base class's
    /// constructor without arguments.
    /// </summary>
    public static bool HasCallableBaseConstructor(INamedTypeSymbol type)
        => type.BaseType is not { } baseType
            || baseType.InstanceConstructors.Any(c => c.DeclaredAccessibility is not (Accessibility.Private or Accessibility.NotApplicable)
                && c.Parameters.All(p => p.IsOptional || p.IsParams));

    /// <summary>
    /// A property the generator can implement (PK2001, PK2003, PK2004): a partial definition without an
    /// implementation, an instance property (not an indexer) returned by value, with a getter and a setter, of an
    /// unmanaged type that is not a pointer.
    /// </summary>
    private static bool IsSupportedProperty(IPropertySymbol property)
        => property.IsPartialDefinition
            && property.PartialImplementationPart is null
            && !property.IsStatic
            && !property.IsIndexer
            && property.RefKind == RefKind.None
            && property.GetMethod is not null
            && property.SetMethod is not null
            && IsSharable(property.Type);

    /// <summary>
    /// An unmanaged type that is not a pointer (the same bits mean the same value in every process) and not
    /// <c>Nullable&lt;T&gt;</c> (which the <c>unmanaged</c> constraint of the runtime's accessors refuses).
    /// </summary>
    private static bool IsSharable(ITypeSymbol type)
        => type.IsUnmanagedType
            && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
            && type.TypeKind is not (TypeKind.Pointer or TypeKind.FunctionPointer)
            && !ContainsPointer(type, 0);

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

    /// <summary>
    /// The size and natural alignment of an unmanaged type on 64-bit platforms, and whether they are certain:
    /// primitives, enums and the BCL's well-known structs are; other structs are laid out from their fields
    /// (sequential layout), which the generated code checks against the runtime's size.
    /// </summary>
    private static (int Size, int Alignment, bool Exact) Layout(ITypeSymbol type, int depth)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean:
            case SpecialType.System_Byte:
            case SpecialType.System_SByte:
                return (1, 1, true);
            case SpecialType.System_Char:
            case SpecialType.System_Int16:
            case SpecialType.System_UInt16:
                return (2, 2, true);
            case SpecialType.System_Int32:
            case SpecialType.System_UInt32:
            case SpecialType.System_Single:
                return (4, 4, true);
            case SpecialType.System_Int64:
            case SpecialType.System_UInt64:
            case SpecialType.System_Double:
            case SpecialType.System_DateTime:
                return (8, 8, true);
            case SpecialType.System_IntPtr:
            case SpecialType.System_UIntPtr:
                return (8, 8, false);
            case SpecialType.System_Decimal:
                return (16, 8, true);
        }

        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
        {
            return Layout(underlying, depth);
        }

        if (type is INamedTypeSymbol { ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } known)
        {
            switch (known.MetadataName)
            {
                case "Half":
                    return (2, 2, true);
                case "DateOnly":
                    return (4, 4, true);
                case "TimeSpan":
                case "TimeOnly":
                    return (8, 8, true);
                case "Guid":
                    return (16, 4, true);
                case "DateTimeOffset":
                    return (16, 8, true);
                case "Int128":
                case "UInt128":
                    return (16, 16, true);
                case "Nullable`1":
                {
                    (int size, int alignment, bool exact) = Layout(known.TypeArguments[0], depth + 1);
                    return (Align(alignment + size, alignment), alignment, exact);
                }
            }
        }

        // Any other struct: its instance fields in order, each at its natural alignment.
        int end = 0;
        int maxAlignment = 1;
        if (depth < 16 && type is INamedTypeSymbol named)
        {
            foreach (ITypeSymbol field in InstanceFieldTypes(named))
            {
                (int size, int alignment, _) = Layout(field, depth + 1);
                end = Align(end, alignment) + size;
                maxAlignment = Math.Max(maxAlignment, alignment);
            }
        }

        return (Math.Max(1, Align(end, maxAlignment)), maxAlignment, false);
    }

    /// <summary>The types of a struct's instance fields, auto-property and positional-record backing fields included.</summary>
    private static IEnumerable<ITypeSymbol> InstanceFieldTypes(INamedTypeSymbol type)
    {
        ISymbol[] members = [.. type.GetMembers()];

        // Backing fields of source properties may or may not be listed; a property whose field is listed is not counted again.
        var backed = new HashSet<ISymbol>(
            members.OfType<IFieldSymbol>().Select(f => f.AssociatedSymbol).Where(s => s is not null)!,
            SymbolEqualityComparer.Default);
        foreach (ISymbol member in members)
        {
            if (member is IFieldSymbol { IsStatic: false, IsConst: false } field)
            {
                yield return field.Type;
            }
            else if (member is IPropertySymbol { IsStatic: false, IsIndexer: false } property && !backed.Contains(property) && HasBackingField(property))
            {
                yield return property.Type;
            }
        }
    }

    private static bool HasBackingField(IPropertySymbol property)
    {
        foreach (SyntaxReference reference in property.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax())
            {
                case ParameterSyntax:
                    return true;
                case PropertyDeclarationSyntax { AccessorList: { } accessors } declaration
                    when !declaration.Modifiers.Any(m => m.IsKind(SyntaxKind.AbstractKeyword) || m.IsKind(SyntaxKind.ExternKeyword) || m.IsKind(SyntaxKind.PartialKeyword)):
                    return accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null);
            }
        }

        return false;
    }

    private static SharedNumericKind Numeric(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16
            or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
            or SpecialType.System_IntPtr or SpecialType.System_UIntPtr => SharedNumericKind.Integral,
        SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal => SharedNumericKind.Floating,
        _ => SharedNumericKind.None,
    };

    /// <summary><paramref name="name"/>, unless the class already has a member of that name (then no helper).</summary>
    private static string? FreeName(INamedTypeSymbol type, string name)
        => type.GetMembers(name).Any(m => !m.IsImplicitlyDeclared) ? null : Escape(name);

    private static string AccessibilityText(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };

    private static int NextPowerOfTwo(int value)
    {
        int power = 1;
        while (power < value)
        {
            power <<= 1;
        }

        return power;
    }

    private static int Align(int offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return true;
            }
        }

        return false;
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

    private static string Escape(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;
}
