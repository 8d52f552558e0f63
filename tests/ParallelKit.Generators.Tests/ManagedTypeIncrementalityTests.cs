using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.ManagedTypes;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>The <c>[ManagedType]</c> generator's cache: a method body edit regenerates nothing; a signature change regenerates that class only.</summary>
public sealed class ManagedTypeIncrementalityTests
{
    private const string Source = """
        using ParallelKit;

        namespace Demo;

        [ManagedType]
        public partial class Account
        {
            private decimal _balance;

            public decimal Deposit(decimal amount) => _balance += amount * 1;
        }

        [ManagedType]
        public partial class Other
        {
            private int _count;

            public int Next() => ++_count;
        }
        """;

    private static readonly IncrementalStepRunReason[] CachedOrUnchanged = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void Editing_a_method_body_regenerates_nothing()
    {
        GeneratorRunResult result = RunTwice(Source, Source.Replace("amount * 1", "amount * 2", System.StringComparison.Ordinal));

        Assert.All(result.TrackedSteps[ManagedTypeGenerator.TrackingNames.Execute].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, CachedOrUnchanged));
        Assert.All(result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, CachedOrUnchanged));
    }

    [Fact]
    public void Changing_a_signature_regenerates_its_class_only()
    {
        GeneratorRunResult result = RunTwice(Source, Source.Replace("Deposit(decimal amount)", "Deposit(decimal amount, int times = 1)", System.StringComparison.Ordinal));

        (object Value, IncrementalStepRunReason Reason)[] sources = [.. result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput].SelectMany(s => s.Outputs)];
        Assert.Equal(1, sources.Count(o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Equal(1, sources.Count(o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    private static GeneratorRunResult RunTwice(string before, string after)
    {
        CSharpCompilation first = TestCompilations.Library(before);
        SyntaxTree tree = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(after)));
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new ManagedTypeGenerator()).RunGenerators(first);
        Assert.Equal(2, driver.GetRunResult().Results.Single().GeneratedSources.Length);
        driver = driver.RunGenerators(second);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result;
    }
}
