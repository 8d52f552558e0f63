using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.SharedValues.Models;
using ParallelKit.Rules;

namespace ParallelKit.Generators.SharedValues;

/// <summary>
/// Turns a class with <c>[SharedValue]</c> properties into a <see cref="SharedClassModel"/>: which properties the
/// generator implements, and the segment layout (declaration order, each value aligned to its size rounded up to
/// a power of two, at most 16). Declarations that break a rule of <see cref="SharedValueRules"/> (PK2001 to PK2006,
/// which <c>SharedValueDeclarationAnalyzer</c> reports) get no implementation, so that a mistake gives one clear
/// diagnostic instead of errors in generated code; <see cref="SharedValueStubBuilder"/> gives them a stand-in that
/// compiles, so that the analyzer's diagnostic is what the build reports.
/// </summary>
internal static class SharedValueModelBuilder
{
    public const string AttributeName = SharedValueRules.SharedValueAttributeName;

    private const int MaxAlignment = 16;

    /// <summary>Builds the model of <paramref name="type"/>, or null when it has nothing the generator may implement.</summary>
    public static SharedClassModel? TryBuild(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (SharedValueRules.CheckClass(type, IsGenerated(cancellationToken)).Count > 0)
        {
            return null;
        }

        var properties = new List<SharedPropertyModel>();
        int end = 0;
        foreach (IPropertySymbol property in type.GetMembers().OfType<IPropertySymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsImplemented(property, cancellationToken)
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
                Identifiers.Escape(plain),
                plain,
                property.Type.ToDisplayString(Identifiers.TypeFormat),
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

        string metadataName = Identifiers.MetadataName(type);
        string layout = string.Join(";", properties.Select(p => string.Format(CultureInfo.InvariantCulture, "{0}:{1}:{2}:{3}", p.PlainName, p.Type, p.Offset, p.Size)));
        return new SharedClassModel(
            TypeHierarchy.NamespaceOf(type),
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            metadataName,
            type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat),
            Identifiers.Escape(type.Name),
            HintName: string.Empty,
            TypeHierarchy.From(type),
            type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared),
            Math.Max(8, Align(end, 8)),
            StableHash.Fnv1a64("ParallelKit.SharedValue|" + metadataName + "|" + layout),
            properties.ToEquatableArray());
    }

    /// <summary>Whether the generator implements <paramref name="property"/> (<see cref="SharedValueRules.IsImplemented"/>).</summary>
    public static bool IsImplemented(IPropertySymbol property, CancellationToken cancellationToken)
        => SharedValueRules.IsImplemented(property, IsGenerated(cancellationToken), cancellationToken);

    /// <summary>The generator never sees its own output: only a file's name and header tell generated code here.</summary>
    private static System.Func<SyntaxTree, bool> IsGenerated(CancellationToken cancellationToken)
        => tree => GeneratedCodeDetector.IsGenerated(tree, null, cancellationToken);

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
        => type.GetMembers(name).Any(m => !m.IsImplicitlyDeclared) ? null : Identifiers.Escape(name);

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
}
