using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using ParallelKit.Analyzers.Csp;
using ParallelKit.Analyzers.Jobs;
using ParallelKit.Analyzers.SharedValues;
using ParallelKit.Generators.Csp;
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
        await GeneratorParity.AssertAgreesWithAnalyzersAsync(
            source,
            TestReferences.All,
            [new ParallelJobGenerator(), new SharedValueGenerator(), new CspProcessGenerator()],
            [new ParallelJobAnalyzer(), new SharedValueDeclarationAnalyzer(), new CspProcessAnalyzer()],
            Generates);
    }

    /// <summary>Whether the generators emit code for a job, a <c>[SharedValue]</c> property or a <c>[CspProcess]</c> method, as their own model builders decide.</summary>
    private static bool? Generates(SemanticModel model, SyntaxNode declaration, CancellationToken cancellationToken)
        => model.GetDeclaredSymbol(declaration, cancellationToken) switch
        {
            IMethodSymbol method when HasAttribute(method, "ParallelKit.ParallelJobAttribute")
                => JobModelBuilder.TryBuild(method, model.Compilation, cancellationToken) is not null,
            IMethodSymbol method when HasAttribute(method, CspProcessModelBuilder.AttributeName)
                => CspProcessModelBuilder.TryBuild(method, model.Compilation, cancellationToken) is not null,
            IPropertySymbol property when HasAttribute(property, "ParallelKit.SharedValueAttribute") && property.PartialDefinitionPart is null
                => SharedValueModelBuilder.IsImplemented(property, cancellationToken),
            _ => null,
        };

    private static bool HasAttribute(ISymbol symbol, string name)
        => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == name);

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
