using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using ParallelKit.Analyzers.Tests;
using ParallelKit.Gpu.Analyzers.Kernels;
using ParallelKit.Gpu.Generators.Kernels;
using Xunit;

namespace ParallelKit.Gpu.Analyzers.Tests;

/// <summary>Runs <see cref="GpuKernelAnalyzer"/> over test sources compiled against net10.0, ILGPU, ILGPU.Algorithms and ParallelKit.Gpu.</summary>
internal static class AnalyzerVerifier
{
    /// <summary>
    /// No reference assembly package: <c>ReferenceAssemblies.Net.*</c> would download one, and this machine
    /// has no feed for it. Basic.Reference.Assemblies.Net100 supplies the same assemblies from a package instead.
    /// </summary>
    private static ReferenceAssemblies None { get; } = new("net10.0");

    private static ImmutableArray<MetadataReference> References { get; } =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(GpuKernelAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ILGPU.Algorithms.XMath).Assembly.Location),
    ];

    /// <summary>An expected diagnostic of <paramref name="descriptor"/>; place it with markup or <c>WithLocation</c>.</summary>
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new(descriptor);

    /// <summary>
    /// Asserts that <paramref name="source"/> produces exactly <paramref name="expected"/>, and that the kernel generator,
    /// run on the same source, generates nothing that fails to compile (<see cref="GeneratorParity"/>).
    /// </summary>
    public static async Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<GpuKernelAnalyzer, DefaultVerifier> { TestCode = source, ReferenceAssemblies = None };
        test.TestState.AdditionalReferences.AddRange(References);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(TestContext.Current.CancellationToken);
        // The generated launchers also use the core runtime, which ParallelKit.Gpu references.
        await GeneratorParity.AssertAgreesWithAnalyzersAsync(
            source,
            [.. References, MetadataReference.CreateFromFile(typeof(ParallelJobAttribute).Assembly.Location)],
            [new GpuKernelGenerator()],
            [new GpuKernelAnalyzer()],
            Generates);
    }

    /// <summary>Whether the generator emits launchers for a kernel, as its own model builder decides.</summary>
    private static bool? Generates(SemanticModel model, SyntaxNode declaration, CancellationToken cancellationToken)
        => declaration is MethodDeclarationSyntax syntax
            && model.GetDeclaredSymbol(syntax, cancellationToken) is { } method
            && method.GetAttributes().FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == "ParallelKit.GpuKernelAttribute") is { } attribute
                ? KernelModelBuilder.TryBuild(method, syntax, attribute, model, cancellationToken) is not null
                : null;
}
