using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ParallelKit.Generators.Tests.Infrastructure;

/// <summary>
/// Builds the compilations the generator runs on: what a project using ParallelKit compiles, held to a
/// stricter standard than a default project (nullable on, every warning wave, documentation comments checked).
/// </summary>
internal static class TestCompilations
{
    /// <summary>C# as the generator's Roslyn knows it, with documentation comments parsed and checked.</summary>
    public static CSharpParseOptions ParseOptions { get; } = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Latest)
        .WithDocumentationMode(DocumentationMode.Diagnose);

    /// <summary>The net10.0 reference assemblies, the ParallelKit runtime and MemoryPack.Core.</summary>
    public static ImmutableArray<MetadataReference> References { get; } =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(ParallelJobAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(MemoryPack.MemoryPackableAttribute).Assembly.Location),
    ];

    /// <summary>A library (DLL) compilation of the given sources.</summary>
    public static CSharpCompilation Library(params string[] sources) => Create("Demo.Library", OutputKind.DynamicallyLinkedLibrary, [], sources);

    /// <summary>An executable compilation of the given sources; one of them must declare the entrypoint.</summary>
    public static CSharpCompilation Executable(params string[] sources) => Create("Demo.App", OutputKind.ConsoleApplication, [], sources);

    /// <summary>A compilation of the given sources.</summary>
    /// <param name="assemblyName">The assembly name (part of every job key and of the job table's name).</param>
    /// <param name="kind">Library or executable.</param>
    /// <param name="extraReferences">References beside <see cref="References"/>, such as another test compilation.</param>
    /// <param name="sources">One syntax tree per source, named <c>Source{n}.cs</c>.</param>
    public static CSharpCompilation Create(string assemblyName, OutputKind kind, IEnumerable<MetadataReference> extraReferences, params string[] sources)
        => CSharpCompilation.Create(
            assemblyName,
            sources.Select((source, i) => Parse(source, $"Source{i}.cs")),
            [.. References, .. extraReferences],
            new CSharpCompilationOptions(
                kind,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                deterministic: true,
                specificDiagnosticOptions: SdkSuppressions));

    /// <summary>
    /// What every SDK project suppresses (<c>NoWarn</c> 1701;1702): MemoryPack.Core is built against an older
    /// System.Runtime, and unifying it with net10.0's is expected, not a finding about generated code.
    /// </summary>
    private static ImmutableDictionary<string, ReportDiagnostic> SdkSuppressions { get; } = ImmutableDictionary.CreateRange(
    [
        KeyValuePair.Create("CS1701", ReportDiagnostic.Suppress),
        KeyValuePair.Create("CS1702", ReportDiagnostic.Suppress),
    ]);

    /// <summary>Parses one source with <see cref="ParseOptions"/>.</summary>
    public static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, ParseOptions, path);
}
