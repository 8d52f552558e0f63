using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
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
/// Fixes PK1003 and PK1004 where the type that cannot be marshaled is a class, record or struct of this solution
/// without <c>[MemoryPackable]</c>: adds the attribute, and <c>partial</c> to the type and to every type enclosing
/// it (MemoryPack's generator adds the serializer in another part).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeTypeMemoryPackableCodeFixProvider))]
[Shared]
public sealed class MakeTypeMemoryPackableCodeFixProvider : CodeFixProvider
{
    /// <summary>The reason <see cref="MarshalabilityChecker"/> gives for such a type: its name, then what to do.</summary>
    private static readonly Regex s_reason = new(
        "'(?<name>[^']+)' is (a class|a record|a struct with reference-type fields|a record struct with reference-type fields) without \\[MemoryPackable\\]; mark it \\[MemoryPackable\\] and partial",
        RegexOptions.CultureInvariant);

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
    [
        DiagnosticDescriptors.JobParameterCannotBeMarshaledId,
        DiagnosticDescriptors.JobResultCannotBeMarshaledId,
    ];

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
            var match = s_reason.Match(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            if (!match.Success
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<TypeSyntax>() is not { } typeSyntax
                || model.GetTypeInfo(typeSyntax, context.CancellationToken).Type is not { } written
                || FindNamed(written, match.Groups["name"].Value, 0) is not { } target
                || target.DeclaringSyntaxReferences.IsEmpty)
            {
                continue;
            }

            var solution = context.Document.Project.Solution;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Mark '{target.Name}' [MemoryPackable] and partial",
                    token => MakePackableAsync(solution, target, token),
                    equivalenceKey: nameof(MakeTypeMemoryPackableCodeFixProvider) + target.ToDisplayString()),
                diagnostic);
        }
    }

    /// <summary>The source type named <paramref name="name"/> in <paramref name="type"/> (itself, an element or a type argument).</summary>
    private static INamedTypeSymbol? FindNamed(ITypeSymbol type, string name, int depth)
    {
        if (depth > 8)
        {
            return null;
        }

        switch (type)
        {
            case IArrayTypeSymbol array:
                return FindNamed(array.ElementType, name, depth + 1);
            case INamedTypeSymbol named:
                if (named.Locations.Any(l => l.IsInSource)
                    && (named.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) == name || named.Name == name))
                {
                    return named;
                }

                return named.TypeArguments.Select(t => FindNamed(t, name, depth + 1)).FirstOrDefault(t => t is not null);
            default:
                return null;
        }
    }

    private static async Task<Solution> MakePackableAsync(Solution solution, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var declarations = new List<TypeDeclarationSyntax>();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is TypeDeclarationSyntax declaration)
            {
                declarations.Add(declaration);
            }
        }

        var first = declarations.FirstOrDefault();
        foreach (var tree in declarations.GroupBy(d => d.SyntaxTree))
        {
            if (solution.GetDocument(tree.Key) is not { } document
                || await tree.Key.GetRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root)
            {
                continue;
            }

            var newLine = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).ToString() is { Length: > 0 } found ? found : "\n";

            // The type and every type enclosing it that is not partial yet.
            var toMakePartial = new HashSet<TypeDeclarationSyntax>(tree);
            foreach (var declaration in tree)
            {
                toMakePartial.UnionWith(PartialTypes.GetNonPartialEnclosingTypes(declaration));
            }

            var updated = root.ReplaceNodes(toMakePartial, (original, rewritten) =>
            {
                var result = ModifierRewriter.Has(rewritten, SyntaxKind.PartialKeyword)
                    ? rewritten
                    : ModifierRewriter.Insert(rewritten, rewritten.Modifiers.Count, SyntaxKind.PartialKeyword);
                if (original == first)
                {
                    // The attribute takes the declaration's leading trivia (doc comment, indentation); the declaration keeps its indentation.
                    var leading = rewritten.GetLeadingTrivia();
                    var indentation = leading.Count > 0 && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia) ? SyntaxFactory.TriviaList(leading.Last()) : SyntaxFactory.TriviaList();
                    var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("MemoryPackable"))))
                        .WithLeadingTrivia(leading)
                        .WithTrailingTrivia(SyntaxFactory.EndOfLine(newLine));
                    result = result.WithLeadingTrivia(indentation);
                    result = result.WithAttributeLists(result.AttributeLists.Insert(0, attribute));
                }

                return result;
            });

            if (tree.Contains(first!) && !updated.Usings.Any(u => u.Name?.ToString() == "MemoryPack"))
            {
                updated = updated.AddUsings(SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName("MemoryPack").WithLeadingTrivia(SyntaxFactory.Space)).WithTrailingTrivia(SyntaxFactory.EndOfLine(newLine)));
            }

            solution = solution.WithDocumentSyntaxRoot(document.Id, updated);
        }

        return solution;
    }
}
