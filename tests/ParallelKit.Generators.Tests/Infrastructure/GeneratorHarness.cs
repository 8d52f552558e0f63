using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Jobs;
using Xunit;

namespace ParallelKit.Generators.Tests.Infrastructure;

/// <summary>Runs a generator (<see cref="ParallelJobGenerator"/> unless told otherwise) the way the compiler does, with step tracking on.</summary>
internal static class GeneratorHarness
{
    /// <summary>A driver for the job generator that records every pipeline step.</summary>
    public static GeneratorDriver CreateDriver() => CreateDriver(new ParallelJobGenerator());

    /// <summary>A driver for <paramref name="generator"/> that records every pipeline step.</summary>
    public static GeneratorDriver CreateDriver(IIncrementalGenerator generator)
        => CSharpGeneratorDriver.Create(
            [generator.AsSourceGenerator()],
            parseOptions: TestCompilations.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>
    /// Runs the generator on <paramref name="input"/> and checks that it did not throw and that the input
    /// plus the generated sources compile with no warning and no error.
    /// </summary>
    /// <returns>The generator's result (its generated sources, hint names, tracked steps).</returns>
    public static GeneratorRunResult RunAndCompile(Compilation input) => RunAndCompile(input, out _);

    /// <inheritdoc cref="RunAndCompile(Compilation)"/>
    /// <param name="input">The compilation to run the generator on.</param>
    /// <param name="output">The input plus the generated sources.</param>
    public static GeneratorRunResult RunAndCompile(Compilation input, out Compilation output) => RunAndCompile(input, new ParallelJobGenerator(), out output);

    /// <inheritdoc cref="RunAndCompile(Compilation)"/>
    /// <param name="input">The compilation to run the generator on.</param>
    /// <param name="generator">The generator to run.</param>
    /// <param name="output">The input plus the generated sources.</param>
    public static GeneratorRunResult RunAndCompile(Compilation input, IIncrementalGenerator generator, out Compilation output)
    {
        GeneratorDriver driver = CreateDriver(generator).RunGeneratorsAndUpdateCompilation(input, out output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Empty(driverDiagnostics);

        // Generated trees are parsed with the driver's options: documentation comments must be checked there too.
        Assert.All(result.GeneratedSources, s => Assert.Equal(DocumentationMode.Diagnose, s.SyntaxTree.Options.DocumentationMode));
        AssertCompilesClean(output);
        return result;
    }

    /// <summary>
    /// Asserts that a compilation has no diagnostic of severity Warning or Error. The one exception is a
    /// missing documentation comment in the test's own input (CS1591): generated code must still document
    /// every public member it declares.
    /// </summary>
    public static void AssertCompilesClean(Compilation compilation)
    {
        ImmutableHashSet<SyntaxTree> generated = [.. compilation.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal))];
        Diagnostic[] problems =
        [
            .. compilation.GetDiagnostics()
                .Where(d => d.Severity >= DiagnosticSeverity.Warning)
                .Where(d => !(d.Id == "CS1591" && d.Location.SourceTree is { } tree && !generated.Contains(tree))),
        ];
        Assert.True(problems.Length == 0, "The compilation has diagnostics:\n" + string.Join("\n", problems.Select(Describe)));
    }

    private static string Describe(Diagnostic diagnostic)
    {
        string where = diagnostic.Location.SourceTree is { } tree
            ? $"{System.IO.Path.GetFileName(tree.FilePath)}({diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1}): "
            : string.Empty;
        string line = diagnostic.Location.SourceTree is { } source
            ? "\n    > " + source.GetText().Lines[diagnostic.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim()
            : string.Empty;
        return where + diagnostic.ToString() + line;
    }
}
