using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Gpu.Analyzers.Diagnostics;

namespace ParallelKit.Gpu.Analyzers.Kernels;

/// <summary>
/// Fixes PK3018 by calling <c>ILGPU.Algorithms.XMath</c> in place of <c>System.Math</c> or <c>System.MathF</c>
/// (<c>Math.Sqrt(x)</c> becomes <c>XMath.Sqrt(x)</c>), where XMath has a method of that name taking as many
/// arguments. The call may be in a helper the kernel calls: the diagnostic carries its location.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseXMathCodeFixProvider))]
[Shared]
public sealed class UseXMathCodeFixProvider : CodeFixProvider
{
    private const string XMathName = "ILGPU.Algorithms.XMath";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.KernelUsesSystemMathId];

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            Location call = diagnostic.AdditionalLocations.Count > 0 ? diagnostic.AdditionalLocations[0] : diagnostic.Location;
            Document? document = call.SourceTree is { } tree ? context.Document.Project.Solution.GetDocument(tree) : null;
            if (document is null
                || await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root
                || await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false) is not { } model
                || root.FindNode(call.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
                || !CanUseXMath(invocation, model, context.CancellationToken, out string name))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use XMath.{name}",
                    _ => Task.FromResult(document.Project.Solution.WithDocumentSyntaxRoot(document.Id, UseXMath(root, invocation, name))),
                    equivalenceKey: nameof(UseXMathCodeFixProvider)),
                diagnostic);
        }
    }

    private static bool CanUseXMath(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken, out string name)
    {
        name = string.Empty;
        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol { ContainingType: { } math } method
            || math.ToDisplayString() is not ("System.Math" or "System.MathF")
            || invocation.Expression is not (MemberAccessExpressionSyntax or IdentifierNameSyntax)
            || model.Compilation.GetTypeByMetadataName(XMathName) is not { } xmath)
        {
            return false;
        }

        name = method.Name;
        int arguments = invocation.ArgumentList.Arguments.Count;
        return xmath.GetMembers(method.Name).OfType<IMethodSymbol>().Any(m => m.IsStatic && m.DeclaredAccessibility == Accessibility.Public && m.Parameters.Length == arguments);
    }

    private static CompilationUnitSyntax UseXMath(CompilationUnitSyntax root, InvocationExpressionSyntax invocation, string name)
    {
        ExpressionSyntax replacement = SyntaxFactory.MemberAccessExpression(
            SyntaxKind.SimpleMemberAccessExpression,
            SyntaxFactory.IdentifierName("XMath"),
            SyntaxFactory.IdentifierName(name));
        var updated = root.ReplaceNode(invocation.Expression, replacement.WithTriviaFrom(invocation.Expression));
        if (updated.Usings.Any(u => u.Name?.ToString() == "ILGPU.Algorithms"))
        {
            return updated;
        }

        string newLine = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).ToString() is { Length: > 0 } found ? found : "\n";
        return updated.AddUsings(SyntaxFactory.UsingDirective(SyntaxFactory.ParseName("ILGPU.Algorithms").WithLeadingTrivia(SyntaxFactory.Space)).WithTrailingTrivia(SyntaxFactory.EndOfLine(newLine)));
    }
}
