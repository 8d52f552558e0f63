using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using ParallelKit.Generators.Jobs;
using ParallelKit.Generators.SharedValues;
using Xunit;

namespace ParallelKit.Analyzers.Tests;

/// <summary>Runs <typeparamref name="TAnalyzer"/> over test sources compiled against net10.0, ParallelKit and MemoryPack.</summary>
/// <typeparam name="TAnalyzer">The analyzer under test.</typeparam>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>An expected diagnostic of <paramref name="descriptor"/>; place it with <c>WithLocation</c>.</summary>
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new(descriptor);

    /// <summary>
    /// Asserts that <paramref name="source"/> produces exactly <paramref name="expected"/>, and that the generators,
    /// run on the same source, generate nothing that fails to compile (<see cref="GeneratorParity"/>).
    /// </summary>
    public static async Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(TestContext.Current.CancellationToken);
        GeneratorParity.AssertGeneratedCodeCompiles(source, TestReferences.All, new ParallelJobGenerator(), new SharedValueGenerator());
    }

    /// <summary>The test harness, configured with the ParallelKit references.</summary>
    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        /// <summary>Creates a test compiled against net10.0, ParallelKit and MemoryPack.</summary>
        public Test()
        {
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);
        }
    }
}
