using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ParallelKit.Analyzers.Diagnostics;
using ParallelKit.Analyzers.Helpers;

namespace ParallelKit.Analyzers.Jobs;

/// <summary>
/// Fixes PK1001 (and PK4001, a CSP process) by adding <c>static</c> to the method, where the body uses no instance member (the fix would not
/// compile otherwise).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeJobStaticCodeFixProvider))]
[Shared]
public sealed class MakeJobStaticCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.JobMustBeStaticId, Csp.CspDiagnosticDescriptors.ProcessMustBeStaticId];

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method
                || ModifierRewriter.Has(method, SyntaxKind.StaticKeyword)
                || UsesInstance(method, model, context.CancellationToken))
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Make '{method.Identifier.ValueText}' static",
                    _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(method, MakeStatic(method)))),
                    equivalenceKey: nameof(MakeJobStaticCodeFixProvider)),
                diagnostic);
        }
    }

    /// <summary>
    /// Whether the body uses <c>this</c>, <c>base</c> or an instance member of its type (explicitly or not): adding
    /// <c>static</c> would not compile (CS0120, CS0026), so the fix is not offered; the job needs its data as parameters.
    /// </summary>
    private static bool UsesInstance(MethodDeclarationSyntax method, SemanticModel model, System.Threading.CancellationToken cancellationToken)
    {
        if (model.GetOperation(method, cancellationToken) is not { } body)
        {
            return true; // cannot tell: do not offer a fix that may break the build
        }

        return body.Descendants().Any(static operation =>
            operation is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance });
    }

    private static MethodDeclarationSyntax MakeStatic(MethodDeclarationSyntax method)
    {
        // Modifiers that only mean something on instance methods would turn PK1001 into CS0106 or CS0112.
        var result = ModifierRewriter.RemoveAll(method, static token => token.Kind() is
            SyntaxKind.VirtualKeyword or SyntaxKind.OverrideKeyword or SyntaxKind.SealedKeyword or SyntaxKind.ReadOnlyKeyword);

        // Conventional order (IDE0036): accessibility first, then static.
        var index = 0;
        for (var i = 0; i < result.Modifiers.Count; i++)
        {
            if (result.Modifiers[i].Kind() is SyntaxKind.PublicKeyword or SyntaxKind.PrivateKeyword
                or SyntaxKind.ProtectedKeyword or SyntaxKind.InternalKeyword or SyntaxKind.FileKeyword)
            {
                index = i + 1;
            }
        }

        return ModifierRewriter.Insert(result, index, SyntaxKind.StaticKeyword);
    }
}
