using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using ParallelKit.Analyzers.Diagnostics;

namespace ParallelKit.Analyzers.SharedValues;

/// <summary>
/// Fixes PK2007: calls the generated atomic helper (<c>x.IncrementCount();</c> for <c>x.Count++;</c>,
/// <c>x.AddCount(d);</c> for <c>x.Count += d;</c>) where there is one, or wraps the statement in
/// <c>using (x.Lock()) { … }</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SharedValueLockCodeFixProvider))]
[Shared]
public sealed class SharedValueLockCodeFixProvider : CodeFixProvider
{
    private const string HelperKey = nameof(SharedValueLockCodeFixProvider) + ".Helper";
    private const string LockKey = nameof(SharedValueLockCodeFixProvider) + ".Lock";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.SharedValueReadModifyWriteId];

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

        var document = context.Document;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(SharedValueAccessAnalyzer.ReceiverProperty, out var receiver) || receiver is null
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax expression)
            {
                continue;
            }

            var statement = expression.FirstAncestorOrSelf<StatementSyntax>();
            if (diagnostic.Properties.TryGetValue(SharedValueAccessAnalyzer.HelperProperty, out var helper) && helper is not null
                && statement is ExpressionStatementSyntax { Expression: var whole } helperStatement && whole.Span == expression.Span)
            {
                diagnostic.Properties.TryGetValue(SharedValueAccessAnalyzer.HelperArgumentProperty, out var argument);
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Use '{helper}()'",
                        _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(helperStatement, CallHelper(helperStatement, receiver, helper, argument)))),
                        equivalenceKey: HelperKey),
                    diagnostic);
            }

            if (statement is not null && statement.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Wrap in 'using ({receiver}.Lock())'",
                        _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(statement, WrapInLock(statement, receiver)))),
                        equivalenceKey: LockKey),
                    diagnostic);
            }
        }
    }

    private static ExpressionStatementSyntax CallHelper(ExpressionStatementSyntax statement, string receiver, string helper, string? argument)
    {
        var name = SyntaxFactory.IdentifierName(helper);
        ExpressionSyntax callee = receiver == "this" && !statement.Expression.ToString().StartsWith("this.", System.StringComparison.Ordinal)
            ? name
            : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.ParseExpression(receiver), name);
        var arguments = string.IsNullOrEmpty(argument)
            ? SyntaxFactory.ArgumentList()
            : SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(SyntaxFactory.ParseExpression(argument!))));
        return statement.WithExpression(SyntaxFactory.InvocationExpression(callee, arguments).WithTriviaFrom(statement.Expression));
    }

    private static UsingStatementSyntax WrapInLock(StatementSyntax statement, string receiver)
    {
        ExpressionSyntax lockCall = receiver == "this"
            ? SyntaxFactory.InvocationExpression(SyntaxFactory.IdentifierName("Lock"))
            : SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.ParseExpression(receiver), SyntaxFactory.IdentifierName("Lock")));
        return SyntaxFactory.UsingStatement(null, lockCall, SyntaxFactory.Block(statement.WithoutLeadingTrivia().WithoutTrailingTrivia()))
            .WithLeadingTrivia(statement.GetLeadingTrivia())
            .WithTrailingTrivia(statement.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);
    }
}
