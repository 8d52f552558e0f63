using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace ParallelKit.Analyzers.Tests;

/// <summary>
/// The generators' half of every analyzer test: the same source (markup removed) through the generators of the
/// package, whose output must never be what breaks the build. Where the analyzer reports an error, the generator
/// emits nothing for that declaration (or a stand-in that compiles); where it reports none, it emits code for
/// every declaration it handles. Either way no error may sit in a generated file.
/// </summary>
internal static class GeneratorParity
{
    /// <summary>
    /// Runs <paramref name="generators"/> on <paramref name="markup"/> and asserts that no generated file has an error;
    /// then runs <paramref name="analyzers"/> on the result and asks <paramref name="generates"/> about every method and
    /// property: in a source without a PK error, each declaration the generators handle gets generated code; a
    /// declaration with a PK error on it (not in its body) gets none.
    /// </summary>
    /// <param name="markup">The analyzer test's source, with its diagnostic markup.</param>
    /// <param name="references">What the test compiles against.</param>
    /// <param name="generators">The package's generators.</param>
    /// <param name="analyzers">The package's declaration analyzers.</param>
    /// <param name="generates">
    /// Whether the generators emit code for a declaration (their own model builders decide), or null for a declaration
    /// they do not handle.
    /// </param>
    public static async Task AssertAgreesWithAnalyzersAsync(
        string markup,
        IEnumerable<MetadataReference> references,
        IIncrementalGenerator[] generators,
        DiagnosticAnalyzer[] analyzers,
        Func<SemanticModel, SyntaxNode, CancellationToken, bool?> generates)
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        TestFileMarkupParser.GetSpans(markup, out string source, out ImmutableDictionary<string, ImmutableArray<TextSpan>> _);
        CSharpParseOptions parseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        SyntaxTree tree = CSharpSyntaxTree.ParseText(source, parseOptions, "Test0.cs", cancellationToken: cancellationToken);
        CSharpCompilation input = CSharpCompilation.Create(
            "TestProject",
            [tree],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([.. generators.Select(static g => g.AsSourceGenerator())], parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _, cancellationToken);
        GeneratorDriverRunResult run = driver.GetRunResult();
        Assert.All(run.Results, static r => Assert.Null(r.Exception));

        var generated = new HashSet<SyntaxTree>(run.GeneratedTrees);
        Diagnostic[] broken =
        [
            .. output.GetDiagnostics(cancellationToken)
                .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is { } where && generated.Contains(where)),
        ];
        Assert.True(broken.Length == 0, "Generated code does not compile:\n" + string.Join("\n", broken.Select(static d => d.ToString())));

        Diagnostic[] errors =
        [
            .. (await output.WithAnalyzers([.. analyzers], new AnalyzerOptions([])).GetAnalyzerDiagnosticsAsync(cancellationToken))
                .Where(static d => d.Severity == DiagnosticSeverity.Error),
        ];
        SemanticModel model = input.GetSemanticModel(tree);
        foreach (SyntaxNode declaration in tree.GetRoot(cancellationToken).DescendantNodes().Where(static n => n is MethodDeclarationSyntax or BasePropertyDeclarationSyntax))
        {
            if (generates(model, declaration, cancellationToken) is not { } hasCode)
            {
                continue;
            }

            bool hasError = errors.Any(d => d.Location.SourceTree == tree && declaration.Span.Contains(d.Location.SourceSpan) && !InBody(declaration, d.Location.SourceSpan));
            string what = model.GetDeclaredSymbol(declaration, cancellationToken)?.ToDisplayString() ?? declaration.ToString();
            if (errors.Length == 0)
            {
                Assert.True(hasCode, $"No PK error, yet the generator emits nothing for: {what}");
            }
            else if (hasError)
            {
                Assert.False(hasCode, $"A PK error, yet the generator emits code for: {what}");
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="span"/> lies in the body of <paramref name="declaration"/>: errors there (PK4007, PK4008)
    /// are about what the method does, not about its declaration, and the generator rightly describes it anyway.
    /// </summary>
    private static bool InBody(SyntaxNode declaration, TextSpan span)
        => declaration is MethodDeclarationSyntax method
            && ((method.Body is { } body && body.Span.Contains(span)) || (method.ExpressionBody is { } arrow && arrow.Span.Contains(span)));
}
