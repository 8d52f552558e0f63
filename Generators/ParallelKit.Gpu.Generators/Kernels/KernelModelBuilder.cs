using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;

namespace ParallelKit.Gpu.Generators.Kernels;

/// <summary>
/// Turns a <c>[GpuKernel]</c> method into a <see cref="KernelFileModel"/>, or null where the declaration is
/// one the analyzers report (PK3001 to PK3005, PK3019): the generator then emits nothing for it, so that a
/// mistake gives one diagnostic rather than errors in generated code. Keep in step with the analyzer.
/// </summary>
internal static class KernelModelBuilder
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers | SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    /// <summary>The most views a kernel with a host copy can have: <c>ParallelKit.Gpu.HostSpans.MaxSpans</c>.</summary>
    internal const int MaxHostViews = 16;

    /// <summary>Builds the model of <paramref name="method"/>, or returns null for a declaration the analyzers reject.</summary>
    public static KernelFileModel? TryBuild(IMethodSymbol method, MethodDeclarationSyntax syntax, AttributeData attribute, SemanticModel semanticModel, CancellationToken token)
    {
        if (!method.IsStatic || !method.ReturnsVoid || method.IsGenericMethod || method.MethodKind != MethodKind.Ordinary
            || method.Parameters.Length < 2 || syntax.Body is null && syntax.ExpressionBody is null)
        {
            return null;
        }

        int rank = IndexRank(method.Parameters[0].Type);
        if (rank == 0 || method.Parameters[0].RefKind != RefKind.None)
        {
            return null;
        }

        var hierarchy = new List<TypeDeclarationModel>();
        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType || type.IsFileLocal || !IsPartial(type, token) || type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
            {
                return null;
            }

            hierarchy.Insert(0, new TypeDeclarationModel(Keyword(type), type.Name));
        }

        token.ThrowIfCancellationRequested();
        IOperation? body = semanticModel.GetOperation(syntax, token);
        if (body is null)
        {
            return null;
        }

        Compilation compilation = semanticModel.Compilation;
        var parameters = new List<KernelParameterModel>();
        var views = new List<IParameterSymbol>();
        foreach (IParameterSymbol parameter in method.Parameters.Skip(1))
        {
            KernelParameterKind? kind = KindOf(parameter.Type, out ITypeSymbol? element);
            if (kind is null || parameter.RefKind != RefKind.None || parameter.IsParams)
            {
                return null;
            }

            CopyDirection direction = CopyDirection.In;
            if (kind != KernelParameterKind.Scalar)
            {
                views.Add(parameter);
                direction = KernelBodyAnalysis.DirectionOf(body, parameter, compilation, token);
            }

            parameters.Add(new KernelParameterModel(
                Escape(parameter.Name),
                kind.Value,
                parameter.Type.ToDisplayString(s_typeFormat),
                element!.ToDisplayString(s_typeFormat),
                direction));
        }

        if (views.Count == 0)
        {
            return null;
        }

        bool usesGroups = KernelBodyAnalysis.UsesGroupSemantics(body, compilation, token);
        if (usesGroups && rank != 1)
        {
            return null;
        }

        string? hostBody = null;
        bool isExpression = false;
        // The CPU fast path pins every view in one call of the runtime's HostSpans.Pin, which takes up to 16.
        if (!usesGroups && views.Count <= MaxHostViews && KernelBodyAnalysis.CanRunOnHostViews(body, views))
        {
            isExpression = syntax.ExpressionBody is not null;
            hostBody = isExpression ? syntax.ExpressionBody!.Expression.ToString() : syntax.Body!.ToString();
        }

        int groupSize = attribute.NamedArguments.FirstOrDefault(static a => a.Key == "GroupSize").Value.Value is int size ? size : 0;
        INamedTypeSymbol containing = method.ContainingType;
        string? ns = containing.ContainingNamespace.IsGlobalNamespace ? null : containing.ContainingNamespace.ToDisplayString();
        var kernel = new KernelModel(
            Escape(method.Name),
            containing.ToDisplayString() + "." + method.Name,
            SyntaxFacts.GetText(method.DeclaredAccessibility),
            rank,
            Escape(method.Parameters[0].Name),
            parameters.ToEquatableArray(),
            hostBody,
            isExpression,
            usesGroups,
            groupSize,
            KernelOverloads.Decide(rank, parameters, SupportsSpanOverloads(syntax, semanticModel.Compilation)));

        return new KernelFileModel(ns, MetadataName(containing), hierarchy.ToEquatableArray(), UsingsOf(syntax).ToEquatableArray(), kernel, HintName: string.Empty);
    }

    /// <summary>1, 2 or 3 for <c>ILGPU.Index1D</c>, <c>Index2D</c>, <c>Index3D</c>; 0 otherwise.</summary>
    public static int IndexRank(ITypeSymbol type) => type.ToDisplayString() switch
    {
        "ILGPU.Index1D" => 1,
        "ILGPU.Index2D" => 2,
        "ILGPU.Index3D" => 3,
        _ => 0,
    };

    /// <summary>What a parameter type after the index is, or null for a type a kernel cannot take.</summary>
    public static KernelParameterKind? KindOf(ITypeSymbol type, out ITypeSymbol? element)
    {
        element = null;
        if (type is INamedTypeSymbol { IsGenericType: true } named)
        {
            string definition = named.OriginalDefinition.ToDisplayString();
            if (definition == "ILGPU.ArrayView<T>" && named.TypeArguments[0].IsUnmanagedType)
            {
                element = named.TypeArguments[0];
                return KernelParameterKind.View1D;
            }

            if (definition == "ILGPU.Runtime.ArrayView2D<T, TStride>"
                && named.TypeArguments[0].IsUnmanagedType
                && named.TypeArguments[1].ToDisplayString() == "ILGPU.Stride2D.DenseY")
            {
                element = named.TypeArguments[0];
                return KernelParameterKind.View2D;
            }
        }

        if (type.IsUnmanagedType && type.TypeKind is TypeKind.Struct or TypeKind.Enum && !type.ToDisplayString().StartsWith("ILGPU.", System.StringComparison.Ordinal))
        {
            element = type;
            return KernelParameterKind.Scalar;
        }

        return null;
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken token)
        => type.DeclaringSyntaxReferences.Length > 0
            && type.DeclaringSyntaxReferences.All(r => r.GetSyntax(token) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static string Keyword(INamedTypeSymbol type) => (type.IsRecord, type.TypeKind) switch
    {
        (true, TypeKind.Struct) => "record struct",
        (true, _) => "record",
        (false, TypeKind.Struct) => "struct",
        _ => "class",
    };

    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        return type.ContainingNamespace.IsGlobalNamespace ? name : type.ContainingNamespace.ToDisplayString() + "." + name;
    }

    /// <summary>The non-global using directives in scope of the kernel, outermost first: its body may need them.</summary>
    private static IEnumerable<string> UsingsOf(SyntaxNode node)
    {
        var usings = new List<string>();
        for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
        {
            SyntaxList<UsingDirectiveSyntax> directives = current switch
            {
                BaseNamespaceDeclarationSyntax ns => ns.Usings,
                CompilationUnitSyntax unit => unit.Usings,
                _ => default,
            };

            usings.InsertRange(0, directives.Where(static u => u.GlobalKeyword.IsKind(SyntaxKind.None)).Select(static u => u.WithoutTrivia().ToString()));
        }

        return usings.Distinct(System.StringComparer.Ordinal);
    }

    private static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>
    /// Whether the span overloads compile in this project: C# 13 (the first with spans converting implicitly
    /// in the ways callers rely on), and they rank below the array overloads with
    /// <c>OverloadResolutionPriorityAttribute</c> (.NET 9), without which calls mixing arrays and collection
    /// expressions would become ambiguous.
    /// </summary>
    private static bool SupportsSpanOverloads(MethodDeclarationSyntax syntax, Compilation compilation)
        => syntax.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp13 }
            && compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.OverloadResolutionPriorityAttribute") is not null;
}
