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
using ParallelKit.Rules;

namespace ParallelKit.Analyzers.Jobs;

/// <summary>
/// Fixes PK1002 (a job), PK2002 (a <c>[SharedValue]</c> property) and PK4002 (a CSP process) by adding <c>partial</c> to the member's type
/// and to every type enclosing it that lacks it.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeContainingTypesPartialCodeFixProvider))]
[Shared]
public sealed class MakeContainingTypesPartialCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
    [
        DiagnosticDescriptors.JobMustBeInPartialTypeId,
        DiagnosticDescriptors.SharedValueMustBeInPartialTypeId,
        Csp.CspDiagnosticDescriptors.ProcessMustBeInPartialTypeId,
    ];

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
            SyntaxNode? member = root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MemberDeclarationSyntax>(
                static m => m is MethodDeclarationSyntax or BasePropertyDeclarationSyntax);
            if (member is null)
            {
                continue;
            }

            var types = PartialTypes.GetNonPartialEnclosingTypes(member);
            if (types.Count == 0)
            {
                continue;
            }

            var title = types.Count == 1
                ? $"Make '{types[0].Identifier.ValueText}' partial"
                : "Make " + string.Join(", ", types.Select(type => "'" + type.Identifier.ValueText + "'")) + " partial";
            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNodes(
                        types,
                        static (_, rewritten) => ModifierRewriter.Insert(rewritten, rewritten.Modifiers.Count, SyntaxKind.PartialKeyword)))),
                    equivalenceKey: nameof(MakeContainingTypesPartialCodeFixProvider)),
                diagnostic);
        }
    }
}
