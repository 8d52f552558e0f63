using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;

namespace ParallelKit.Generators.Jobs;

/// <summary>
/// Turns a [ParallelJob] method symbol into a <see cref="JobDeclaration"/>. Declarations the analyzers
/// reject (not static, not partial, generic, ref parameters, …) produce no model, so that a mistake gives
/// one clear diagnostic instead of a cascade of errors in generated code.
/// </summary>
internal static class JobModelBuilder
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    // Parameter types in a cref: fully qualified (a user namespace named System must not capture them),
    // and tuples spelled ValueTuple{…}, since cref syntax has no tuple types.
    private static readonly SymbolDisplayFormat CrefTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.UseSpecialTypes
            | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

    // Namespaces as the runtime names them: no '@' escapes (they would end up in hint names and keys).
    private static readonly SymbolDisplayFormat MetadataNamespaceFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

    public static JobDeclaration? TryBuild(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        if (!method.IsStatic || method.IsGenericMethod || method.MethodKind != MethodKind.Ordinary)
        {
            return null;
        }

        var hierarchy = new List<TypeDeclarationModel>();
        for (INamedTypeSymbol? enclosing = method.ContainingType; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            // A file-local type cannot be re-opened from the generated file (and its mangled name is no valid hint name).
            if (enclosing.IsGenericType || enclosing.IsFileLocal || !IsPartial(enclosing, cancellationToken))
            {
                return null;
            }

            hierarchy.Insert(0, new TypeDeclarationModel(Keyword(enclosing), Escape(enclosing.Name), enclosing.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal));
        }

        if (method.ContainingType!.GetMembers("Jobs").Any(m => !m.IsImplicitlyDeclared))
        {
            return null;
        }

        INamedTypeSymbol? cancellationTokenType = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        var parameters = new List<ParameterModel>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                return null;
            }

            bool isToken = SymbolEqualityComparer.Default.Equals(parameter.Type, cancellationTokenType);
            parameters.Add(new ParameterModel(
                Escape(parameter.Name),
                parameter.Type.ToDisplayString(TypeFormat),
                isToken,
                parameter.HasExplicitDefaultValue ? FormatDefault(parameter) : null,
                parameter.IsParams));
        }

        if (parameters.Count(p => p.IsCancellationToken) > 1)
        {
            return null;
        }

        (JobReturnKind kind, string? resultType) = ClassifyReturn(method, compilation);
        cancellationToken.ThrowIfCancellationRequested();

        INamedTypeSymbol containing = method.ContainingType!;
        string typeMetadataName = MetadataName(containing);
        string displayName = containing.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) + "." + method.Name;
        string signature = string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
        ulong key = StableHash.Fnv1a64($"{compilation.AssemblyName}|{typeMetadataName}.{method.Name}({signature})");
        int overloadIndex = containing.GetMembers(method.Name)
            .OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "ParallelKit.ParallelJobAttribute"))
            .ToList()
            .FindIndex(m => SymbolEqualityComparer.Default.Equals(m, method));
        string callClass = method.Name + "Call" + (overloadIndex > 0 ? (overloadIndex + 1).ToString(CultureInfo.InvariantCulture) : string.Empty);
        string accessibility = method.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        string cref = Escape(method.Name) + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(CrefTypeFormat))) + ")";

        var job = new JobModel(Escape(method.Name), callClass, displayName, accessibility, kind, resultType, key, cref.Replace('<', '{').Replace('>', '}'), parameters.ToEquatableArray());
        var type = new JobTypeModel(
            containing.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            containing.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            typeMetadataName,
            HintName: string.Empty,
            hierarchy.ToEquatableArray(),
            EquatableArray<JobModel>.Empty);
        return new JobDeclaration(type, job);
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax declaration
                && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
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

    private static (JobReturnKind Kind, string? ResultType) ClassifyReturn(IMethodSymbol method, Compilation compilation)
    {
        if (method.ReturnsVoid)
        {
            return (JobReturnKind.Void, null);
        }

        ITypeSymbol returnType = method.ReturnType;
        INamedTypeSymbol? task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        INamedTypeSymbol? valueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        INamedTypeSymbol? taskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        INamedTypeSymbol? valueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        if (SymbolEqualityComparer.Default.Equals(returnType, task))
        {
            return (JobReturnKind.Task, null);
        }

        if (SymbolEqualityComparer.Default.Equals(returnType, valueTask))
        {
            return (JobReturnKind.ValueTask, null);
        }

        if (returnType is INamedTypeSymbol { IsGenericType: true } generic)
        {
            if (SymbolEqualityComparer.Default.Equals(generic.OriginalDefinition, taskOfT))
            {
                return (JobReturnKind.TaskOfT, generic.TypeArguments[0].ToDisplayString(TypeFormat));
            }

            if (SymbolEqualityComparer.Default.Equals(generic.OriginalDefinition, valueTaskOfT))
            {
                return (JobReturnKind.ValueTaskOfT, generic.TypeArguments[0].ToDisplayString(TypeFormat));
            }
        }

        return (JobReturnKind.Value, returnType.ToDisplayString(TypeFormat));
    }

    private static string Escape(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    private static string FormatDefault(IParameterSymbol parameter)
    {
        object? value = parameter.ExplicitDefaultValue;
        ITypeSymbol type = parameter.Type;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (value is null)
        {
            return type.IsValueType && parameter.Type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T ? "default" : "null";
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            // "(E)-1" parses as a subtraction from a parenthesized name; a negative value needs its own parentheses.
            string number = SymbolDisplay.FormatPrimitive(value, quoteStrings: false, useHexadecimalNumbers: false);
            return $"({type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)}){(number.StartsWith("-", System.StringComparison.Ordinal) ? "(" + number + ")" : number)}";
        }

        string literal = SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false);
        return value switch
        {
            float f when float.IsNaN(f) => "float.NaN",
            float f when float.IsPositiveInfinity(f) => "float.PositiveInfinity",
            float f when float.IsNegativeInfinity(f) => "float.NegativeInfinity",
            double d when double.IsNaN(d) => "double.NaN",
            double d when double.IsPositiveInfinity(d) => "double.PositiveInfinity",
            double d when double.IsNegativeInfinity(d) => "double.NegativeInfinity",
            float => literal + "F",
            double => literal + "D",
            decimal => literal + "M",
            long => literal + "L",
            ulong => literal + "UL",
            uint => literal + "U",
            _ => literal,
        };
    }
}
