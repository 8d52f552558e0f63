using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Gpu.Generators.Kernels;
using Xunit;

namespace ParallelKit.Gpu.Generators.Tests.Infrastructure;

/// <summary>Runs <see cref="GpuKernelGenerator"/> the way the compiler does, with step tracking on, on compilations against ILGPU and ParallelKit.Gpu.</summary>
internal static class GeneratorHarness
{
    /// <summary>C# as the generator's Roslyn knows it, with documentation comments parsed and checked.</summary>
    public static CSharpParseOptions ParseOptions { get; } = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Latest)
        .WithDocumentationMode(DocumentationMode.Diagnose);

    /// <summary>The net10.0 reference assemblies, ParallelKit, ParallelKit.Gpu, ILGPU and ILGPU.Algorithms.</summary>
    public static ImmutableArray<MetadataReference> References { get; } =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(GpuKernelAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ParallelJobAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ILGPU.Algorithms.XMath).Assembly.Location),
    ];

    /// <summary>A library compilation of the given sources, nullable on and every warning wave.</summary>
    public static CSharpCompilation Library(params string[] sources)
        => CSharpCompilation.Create(
            "Demo.Kernels",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                deterministic: true,
                specificDiagnosticOptions: ImmutableDictionary.CreateRange(
                [
                    KeyValuePair.Create("CS1701", ReportDiagnostic.Suppress),
                    KeyValuePair.Create("CS1702", ReportDiagnostic.Suppress),
                ])));

    /// <summary>A driver for the kernel generator that records every pipeline step.</summary>
    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            [new GpuKernelGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator and checks that it did not throw and that the input plus the generated sources compile with no warning.</summary>
    public static GeneratorRunResult RunAndCompile(Compilation input) => RunAndCompile(input, out _);

    /// <summary>Runs the generator and checks that the input plus the generated sources compile with no warning; <paramref name="output"/> is that compilation.</summary>
    public static GeneratorRunResult RunAndCompile(Compilation input, out Compilation output)
    {
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Empty(driverDiagnostics);
        ImmutableHashSet<SyntaxTree> generated = [.. output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal))];
        Diagnostic[] problems =
        [
            .. output.GetDiagnostics()
                .Where(d => d.Severity >= DiagnosticSeverity.Warning)
                .Where(d => !(d.Id == "CS1591" && d.Location.SourceTree is { } tree && !generated.Contains(tree))),
        ];
        Assert.True(problems.Length == 0, "The compilation has diagnostics:\n" + string.Join("\n", problems.Select(static d => d.ToString())));
        return result;
    }
}
