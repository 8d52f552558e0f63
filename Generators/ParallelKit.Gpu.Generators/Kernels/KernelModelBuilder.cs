using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;
using ParallelKit.Rules;

namespace ParallelKit.Gpu.Generators.Kernels;

/// <summary>
/// Turns a <c>[GpuKernel]</c> method into a <see cref="KernelFileModel"/>, or null where the kernel breaks a rule
/// that the analyzer reports (<see cref="KernelRules"/>, <see cref="KernelBodyRules"/>: PK3001 to PK3019): the
/// generator then emits nothing for it, so that a mistake gives one diagnostic rather than errors in generated code.
/// </summary>
internal static class KernelModelBuilder
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers | SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    /// <summary>The most views a kernel with a host copy can have: <c>ParallelKit.Gpu.HostSpans.MaxSpans</c>.</summary>
    internal const int MaxHostViews = 16;

    /// <summary>Builds the model of <paramref name="method"/>, or returns null for a kernel that breaks a rule of <see cref="KernelRules"/> or <see cref="KernelBodyRules"/>.</summary>
    public static KernelFileModel? TryBuild(IMethodSymbol method, MethodDeclarationSyntax syntax, AttributeData attribute, SemanticModel semanticModel, CancellationToken token)
    {
        if (KernelRules.CheckDeclaration(method, token).Count > 0 || semanticModel.GetOperation(syntax, token) is not { } body)
        {
            return null;
        }

        token.ThrowIfCancellationRequested();
        KernelBodyRules bodyRules = KernelBodyRules.Check(method, body, semanticModel.Compilation, token);
        if (bodyRules.Violations.Count > 0)
        {
            return null;
        }

        int rank = KernelRules.IndexRank(method.Parameters[0].Type);
        Compilation compilation = semanticModel.Compilation;
        var parameters = new List<KernelParameterModel>();
        var views = new List<IParameterSymbol>();
        foreach (IParameterSymbol parameter in method.Parameters.Skip(1))
        {
            _ = KernelRules.ParameterProblem(parameter, out KernelParameterShape shape, out ITypeSymbol? element);
            KernelParameterKind kind = shape switch
            {
                KernelParameterShape.View1D => KernelParameterKind.View1D,
                KernelParameterShape.View2D => KernelParameterKind.View2D,
                _ => KernelParameterKind.Scalar,
            };

            CopyDirection direction = CopyDirection.In;
            if (kind != KernelParameterKind.Scalar)
            {
                views.Add(parameter);
                direction = KernelBodyAnalysis.DirectionOf(body, parameter, compilation, token);
            }

            parameters.Add(new KernelParameterModel(
                Identifiers.Escape(parameter.Name),
                kind,
                parameter.Type.ToDisplayString(s_typeFormat),
                element!.ToDisplayString(s_typeFormat),
                direction));
        }

        // Shared memory, barriers, warp or group intrinsics: the kernel runs with explicit groups (one-dimensional, PK3019).
        bool usesGroups = bodyRules.GroupFeature is not null;

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
        string? ns = TypeHierarchy.NamespaceOf(containing);
        var kernel = new KernelModel(
            Identifiers.Escape(method.Name),
            containing.ToDisplayString() + "." + method.Name,
            SyntaxFacts.GetText(method.DeclaredAccessibility),
            rank,
            Identifiers.Escape(method.Parameters[0].Name),
            parameters.ToEquatableArray(),
            hostBody,
            isExpression,
            usesGroups,
            groupSize,
            KernelOverloads.Decide(rank, parameters, SupportsSpanOverloads(syntax, semanticModel.Compilation)));

        return new KernelFileModel(ns, Identifiers.MetadataName(containing), TypeHierarchy.From(containing), UsingsOf(syntax).ToEquatableArray(), kernel, HintName: string.Empty);
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
