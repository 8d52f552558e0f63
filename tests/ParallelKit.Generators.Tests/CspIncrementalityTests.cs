using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Csp;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>The <c>[CspProcess]</c> generator's caches: an edit inside a process body regenerates nothing; a signature change regenerates its type's file and the table.</summary>
public sealed class CspIncrementalityTests
{
    private const string Source = """
        using System.Threading.Tasks;
        using ParallelKit;

        namespace Demo;

        public static partial class Net
        {
            [CspProcess]
            public static async Task Succ(ChannelIn<long> input, ChannelOut<long> output)
            {
                await foreach (long v in input) await output.WriteAsync(v + 1);
            }
        }

        public static partial class Other
        {
            [CspProcess]
            public static void Drain(ChannelIn<int> input) => input.Read();
        }
        """;

    private static readonly IncrementalStepRunReason[] CachedOrUnchanged = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void Editing_a_process_body_regenerates_nothing()
    {
        CSharpCompilation first = TestCompilations.Library(Source);
        CSharpCompilation second = Edit(first, "v + 1", "v + 2");

        GeneratorRunResult result = RunTwice(first, second);

        foreach (string step in new[] { CspProcessGenerator.TrackingNames.Execute, CspProcessGenerator.TrackingNames.Types })
        {
            Assert.All(Outputs(result, step), o => Assert.Contains(o.Reason, CachedOrUnchanged));
        }

        Assert.All(result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, CachedOrUnchanged));
    }

    [Fact]
    public void Changing_a_parameter_type_regenerates_its_type_and_the_table_only()
    {
        CSharpCompilation first = TestCompilations.Library(Source);
        CSharpCompilation second = Edit(first, "ChannelIn<int> input", "ChannelIn<long> input");

        GeneratorRunResult result = RunTwice(first, second);

        (object Value, IncrementalStepRunReason Reason)[] sources = [.. result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput].SelectMany(s => s.Outputs)];
        Assert.Equal(2, sources.Count(o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Contains(sources, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }

    private static CSharpCompilation Edit(CSharpCompilation compilation, string from, string to)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(Source.IndexOf(from, System.StringComparison.Ordinal), from.Length, to)));
    }

    private static GeneratorRunResult RunTwice(Compilation first, Compilation second)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new CspProcessGenerator()).RunGenerators(first);
        Assert.Equal(3, driver.GetRunResult().Results.Single().GeneratedSources.Length);
        driver = driver.RunGenerators(second);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result;
    }

    private static List<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step)
    {
        Assert.True(result.TrackedSteps.TryGetValue(step, out var steps), $"No step is tracked as '{step}'.");
        List<(object Value, IncrementalStepRunReason Reason)> outputs = [.. steps.SelectMany(s => s.Outputs)];
        Assert.NotEmpty(outputs);
        return outputs;
    }
}
