using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.SharedValues;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>The <c>[SharedValue]</c> generator's caches: edits that change no shared property regenerate nothing; a layout change does.</summary>
public sealed class SharedValueIncrementalityTests
{
    private const string Source = """
        using ParallelKit;

        namespace Demo;

        public partial class Progress
        {
            [SharedValue] public partial long Done { get; set; }

            [SharedValue] public partial double Best { get; set; }

            public long Twice() => Done * 2;
        }

        public partial class Other
        {
            [SharedValue] public partial int Count { get; set; }
        }
        """;

    private static readonly IncrementalStepRunReason[] CachedOrUnchanged = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void Editing_a_method_body_of_the_class_regenerates_nothing()
    {
        CSharpCompilation first = TestCompilations.Library(Source);
        CSharpCompilation second = Edit(first, "Done * 2", "Done * 3");

        GeneratorRunResult result = RunTwice(first, second);

        foreach (string step in new[] { SharedValueGenerator.TrackingNames.Execute, SharedValueGenerator.TrackingNames.Classes })
        {
            Assert.All(Outputs(result, step), o => Assert.Contains(o.Reason, CachedOrUnchanged));
        }

        Assert.All(result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, CachedOrUnchanged));
    }

    [Fact]
    public void Changing_a_property_type_regenerates_its_class_only()
    {
        CSharpCompilation first = TestCompilations.Library(Source);
        CSharpCompilation second = Edit(first, "partial double Best", "partial float Best");

        GeneratorRunResult result = RunTwice(first, second);

        (object Value, IncrementalStepRunReason Reason)[] sources = [.. result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput].SelectMany(s => s.Outputs)];
        Assert.Equal(1, sources.Count(o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Contains(sources, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }

    private static CSharpCompilation Edit(CSharpCompilation compilation, string from, string to)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(Source.IndexOf(from, System.StringComparison.Ordinal), from.Length, to)));
    }

    private static GeneratorRunResult RunTwice(Compilation first, Compilation second)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new SharedValueGenerator()).RunGenerators(first);
        Assert.Equal(2, driver.GetRunResult().Results.Single().GeneratedSources.Length);
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
