using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Jobs;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// The generator's pipeline caches: after an edit that changes no job, no step produces a new value and
/// no source is regenerated, which is what keeps the IDE responsive while typing.
/// </summary>
public sealed class IncrementalityTests
{
    private const string Jobs = """
        using System.Threading;
        using System.Threading.Tasks;
        using ParallelKit;

        namespace Demo;

        public static partial class Primes
        {
            [ParallelJob]
            public static int CountPrimes(int from, int to) => Helper(from, to);

            [ParallelJob]
            public static Task<long> SumAsync(long[] values, CancellationToken cancellationToken) => Task.FromResult(0L);

            public static int Helper(int from, int to) => to - from;
        }

        public static partial class Outer
        {
            public static partial class Inner
            {
                [ParallelJob]
                public static void Touch(string name)
                {
                }
            }
        }
        """;

    private const string Program = """
        namespace Demo;

        internal static class Program
        {
            private static int Main() => Primes.Jobs.CountPrimes(0, 1).JobName.Length;
        }
        """;

    private static readonly IncrementalStepRunReason[] CachedOrUnchanged = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void Adding_an_unrelated_syntax_tree_regenerates_nothing()
    {
        CSharpCompilation first = TestCompilations.Executable(Jobs, Program);
        CSharpCompilation second = first.AddSyntaxTrees(TestCompilations.Parse("namespace Demo; internal static class Unrelated { }", "Unrelated.cs"));

        GeneratorRunResult result = RunTwice(first, second);

        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Editing_a_method_body_that_is_not_a_job_regenerates_nothing()
    {
        // The edit is in the file that declares the jobs, so the per-method transform runs again; its
        // model must compare equal to the previous one.
        CSharpCompilation first = TestCompilations.Executable(Jobs, Program);
        SyntaxTree jobsTree = first.SyntaxTrees.First();
        CSharpCompilation second = first.ReplaceSyntaxTree(
            jobsTree,
            jobsTree.WithChangedText(jobsTree.GetText().Replace(Jobs.IndexOf("to - from", System.StringComparison.Ordinal), "to - from".Length, "(to - from) * 2")));

        GeneratorRunResult result = RunTwice(first, second);

        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Editing_the_program_of_an_executable_regenerates_nothing()
    {
        CSharpCompilation first = TestCompilations.Executable(Jobs, Program);
        SyntaxTree programTree = first.SyntaxTrees.Last();
        CSharpCompilation second = first.ReplaceSyntaxTree(
            programTree,
            programTree.WithChangedText(programTree.GetText().Replace(Program.IndexOf("CountPrimes(0, 1)", System.StringComparison.Ordinal), "CountPrimes(0, 1)".Length, "CountPrimes(2, 3)")));

        GeneratorRunResult result = RunTwice(first, second);

        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Changing_a_job_signature_regenerates_its_type_only()
    {
        // The counterpart of the tests above: the tracking does see real changes.
        CSharpCompilation first = TestCompilations.Library(Jobs);
        SyntaxTree jobsTree = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(
            jobsTree,
            jobsTree.WithChangedText(jobsTree.GetText().Replace(Jobs.IndexOf("int from, int to)", System.StringComparison.Ordinal), "int from, int to)".Length, "int from, int to, int step = 1)")));

        GeneratorRunResult result = RunTwice(first, second, sameOutput: false);

        Assert.Contains(Outputs(result, ParallelJobGenerator.TrackingNames.Execute), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(Outputs(result, ParallelJobGenerator.TrackingNames.Types), o => o.Reason == IncrementalStepRunReason.Modified);

        // One output per generated file: Primes.Jobs and the job table change, Outer.Inner.Jobs does not.
        (object Value, IncrementalStepRunReason Reason)[] sources = [.. result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput].SelectMany(s => s.Outputs)];
        Assert.Equal(2, sources.Count(o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Contains(sources, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }

    /// <summary>Runs one driver on <paramref name="first"/>, then on <paramref name="second"/>, and returns the second run.</summary>
    private static GeneratorRunResult RunTwice(Compilation first, Compilation second, bool sameOutput = true)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);
        GeneratorRunResult firstRun = driver.GetRunResult().Results.Single();
        Assert.Null(firstRun.Exception);
        Assert.NotEmpty(firstRun.GeneratedSources);

        driver = driver.RunGenerators(second);
        GeneratorRunResult secondRun = driver.GetRunResult().Results.Single();
        Assert.Null(secondRun.Exception);

        if (sameOutput)
        {
            Assert.Equal(
                firstRun.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())),
                secondRun.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())));
        }

        return secondRun;
    }

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result)
    {
        foreach (string step in new[] { ParallelJobGenerator.TrackingNames.Execute, ParallelJobGenerator.TrackingNames.Types, ParallelJobGenerator.TrackingNames.Table, ParallelJobGenerator.TrackingNames.EntryPoint })
        {
            IReadOnlyList<(object Value, IncrementalStepRunReason Reason)> outputs = Outputs(result, step);
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.Contains(o.Reason, CachedOrUnchanged));
        }

        ImmutableArray<IncrementalGeneratorRunStep> sourceSteps = result.TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput];
        Assert.NotEmpty(sourceSteps);
        Assert.All(sourceSteps.SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, CachedOrUnchanged));
    }

    private static List<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step)
    {
        Assert.True(result.TrackedSteps.TryGetValue(step, out ImmutableArray<IncrementalGeneratorRunStep> steps), $"No step is tracked as '{step}'.");
        return [.. steps.SelectMany(s => s.Outputs)];
    }
}
