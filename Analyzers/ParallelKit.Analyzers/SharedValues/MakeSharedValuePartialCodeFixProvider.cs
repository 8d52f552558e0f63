using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Analyzers.Diagnostics;
using ParallelKit.Analyzers.Helpers;

namespace ParallelKit.Analyzers.SharedValues;

/// <summary>
/// Fixes PK2001 for an auto-property (<c>{ get; set; }</c>, no initializer) by declaring it <c>partial</c>, so that
/// the generator implements it. Properties with bodies or an initializer are left to the user: their logic would be lost.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeSharedValuePartialCodeFixProvider))]
[Shared]
public sealed class MakeSharedValuePartialCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.SharedValuePropertyMustBePartialId];

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<PropertyDeclarationSyntax>() is not { } property
                || property.Modifiers.Any(SyntaxKind.PartialKeyword)
                || property.Initializer is not null
                || property.AccessorList is not { } accessors
                || accessors.Accessors.Any(a => a.Body is not null || a.ExpressionBody is not null))
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Make '{property.Identifier.ValueText}' partial",
                    _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(
                        property,
                        ModifierRewriter.Insert(property, property.Modifiers.Count, SyntaxKind.PartialKeyword)))),
                    equivalenceKey: nameof(MakeSharedValuePartialCodeFixProvider)),
                diagnostic);
        }
    }
}
