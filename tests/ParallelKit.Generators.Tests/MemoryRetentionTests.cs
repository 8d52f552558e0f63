using System;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Jobs;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// The driver keeps the generator's cached models between runs; if a model held a symbol, a syntax node or
/// the compilation itself, every old compilation would stay in memory for as long as the IDE runs.
/// </summary>
public sealed class MemoryRetentionTests
{
    private const string Jobs = """
        using System.Threading;
        using System.Threading.Tasks;
        using ParallelKit;

        namespace Demo;

        public static partial class Primes
        {
            [ParallelJob]
            public static int CountPrimes(int from, int to) => to - from;

            [ParallelJob]
            public static Task<long> SumAsync(long[] values, CancellationToken cancellationToken) => Task.FromResult(0L);
        }
        """;

    private const string Program = """
        namespace Demo;

        internal static class Program
        {
            private static int Main() => Primes.Jobs.CountPrimes(0, 1).JobName.Length;
        }
        """;

    [Fact]
    public void The_driver_does_not_keep_a_previous_compilation_alive()
    {
        Assert.False(FirstCompilationSurvivesTheNextRun(new ParallelJobGenerator()), "The first compilation is still reachable after the driver moved on to the next one.");
    }

    [Fact]
    public void The_check_catches_a_generator_that_keeps_symbols()
    {
        // The control: without it, a check that could never fail (a collection that always succeeds) would pass.
        Assert.True(FirstCompilationSurvivesTheNextRun(new SymbolKeepingGenerator()));
    }

    private static bool FirstCompilationSurvivesTheNextRun(IIncrementalGenerator generator)
    {
        // As the compiler runs it: no step tracking, which would itself keep inputs of the last run.
        GeneratorDriver driver = CSharpGeneratorDriver.Create([generator.AsSourceGenerator()], parseOptions: TestCompilations.ParseOptions);

        // The driver goes in and out by ref: a returned tuple would sit in a hidden local of this method
        // (in Debug builds) and keep the first run's driver, and with it the first compilation, alive.
        WeakReference first = RunOnFirstCompilation(ref driver);
        RunOnNextCompilation(ref driver, first);

        for (int attempt = 0; attempt < 10 && first.IsAlive; attempt++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        bool alive = first.IsAlive;
        GC.KeepAlive(driver);
        return alive;
    }

    /// <summary>
    /// Creates and runs on the first compilation in a frame of its own, so that no local of the test
    /// (which the JIT may keep alive until the method returns) refers to it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunOnFirstCompilation(ref GeneratorDriver driver)
    {
        CSharpCompilation compilation = TestCompilations.Executable(Jobs, Program);
        driver = driver.RunGenerators(compilation);
        Assert.NotEmpty(driver.GetRunResult().GeneratedTrees);
        return new WeakReference(compilation);
    }

    /// <summary>
    /// The next compilation is what the IDE makes after a keystroke: the same trees plus an edit, so the jobs
    /// are unchanged and their cached models (from the first run) are kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunOnNextCompilation(ref GeneratorDriver driver, WeakReference first)
    {
        var previous = (CSharpCompilation)first.Target!;
        CSharpCompilation next = previous.AddSyntaxTrees(TestCompilations.Parse("namespace Demo; internal static class Unrelated { }", "Unrelated.cs"));
        driver = driver.RunGenerators(next);
        Assert.NotEmpty(driver.GetRunResult().GeneratedTrees);
    }

    /// <summary>
    /// What the style guide warns against: a model that carries a symbol but compares without it. After an
    /// edit the new model compares equal, so the driver keeps the cached one, and its symbol roots the old
    /// compilation. (A model that compared by symbol would not leak, but would never be cached either.)
    /// </summary>
    private sealed class SymbolKeepingGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<JobWithSymbol> jobs = context.SyntaxProvider.ForAttributeWithMetadataName(
                "ParallelKit.ParallelJobAttribute",
                static (_, _) => true,
                static (context, _) => new JobWithSymbol(context.TargetSymbol));
            context.RegisterSourceOutput(jobs, static (output, job) => output.AddSource(job.Name + ".g.cs", "// " + job.Name));
        }
    }

    private sealed class JobWithSymbol(ISymbol symbol) : IEquatable<JobWithSymbol>
    {
        public string Name { get; } = symbol.Name;

        public ISymbol Symbol { get; } = symbol;

        public bool Equals(JobWithSymbol? other) => other is not null && other.Name == Name;

        public override bool Equals(object? obj) => Equals(obj as JobWithSymbol);

        public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    }
}
