using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace ParallelKit.Analyzers.Tests;

/// <summary>Applies <typeparamref name="TCodeFix"/> to the diagnostics of <typeparamref name="TAnalyzer"/>, one by one and all at once.</summary>
/// <typeparam name="TAnalyzer">The analyzer that reports the diagnostics.</typeparam>
/// <typeparam name="TCodeFix">The code fix under test.</typeparam>
internal static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    /// <summary>
    /// Asserts that <paramref name="source"/> produces <paramref name="expected"/> and that fixing them gives
    /// <paramref name="fixedSource"/>, with no diagnostic of the analyzer left.
    /// </summary>
    public static Task VerifyAsync(string source, string fixedSource, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The test harness, configured with the ParallelKit references.</summary>
    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        /// <summary>Creates a test compiled against net10.0, ParallelKit and MemoryPack.</summary>
        public Test()
        {
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);
        }
    }
}
