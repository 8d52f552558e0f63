using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace ParallelKit.Analyzers.Tests;

/// <summary>
/// The generators' half of every analyzer test: the same source (markup removed) through the generators of the
/// package, whose output must never be what breaks the build. Where the analyzer reports an error, the generator
/// emits nothing for that declaration (or a stand-in that compiles); where it reports none, the generated code
/// compiles. Either way no error may sit in a generated file.
/// </summary>
internal static class GeneratorParity
{
    /// <summary>Runs <paramref name="generators"/> on <paramref name="markup"/> and asserts that no generated file has an error.</summary>
    /// <param name="markup">The analyzer test's source, with its diagnostic markup.</param>
    /// <param name="references">What the test compiles against.</param>
    /// <param name="generators">The package's generators.</param>
    public static void AssertGeneratedCodeCompiles(string markup, IEnumerable<MetadataReference> references, params IIncrementalGenerator[] generators)
    {
        TestFileMarkupParser.GetSpans(markup, out string source, out ImmutableDictionary<string, ImmutableArray<TextSpan>> _);
        CSharpParseOptions parseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        CSharpCompilation input = CSharpCompilation.Create(
            "TestProject",
            [CSharpSyntaxTree.ParseText(source, parseOptions, "Test0.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([.. generators.Select(static g => g.AsSourceGenerator())], parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _, TestContext.Current.CancellationToken);
        GeneratorDriverRunResult run = driver.GetRunResult();
        Assert.All(run.Results, static r => Assert.Null(r.Exception));

        var generated = new HashSet<SyntaxTree>(run.GeneratedTrees);
        Diagnostic[] broken =
        [
            .. output.GetDiagnostics(TestContext.Current.CancellationToken)
                .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is { } tree && generated.Contains(tree)),
        ];
        Assert.True(broken.Length == 0, "Generated code does not compile:\n" + string.Join("\n", broken.Select(static d => d.ToString())));
    }
}
