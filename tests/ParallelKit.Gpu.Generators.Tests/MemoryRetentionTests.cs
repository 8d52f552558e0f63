using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Gpu.Generators.Kernels;
using ParallelKit.Gpu.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Gpu.Generators.Tests;

/// <summary>
/// The driver keeps the generator's cached models between runs; if a kernel model held a symbol, a syntax
/// node or the compilation, every old compilation would stay in memory for as long as the IDE runs.
/// </summary>
public sealed class MemoryRetentionTests
{
    private const string Kernels = """
        using ILGPU;
        using ILGPU.Runtime;
        using ParallelKit;

        namespace Demo;

        public static partial class Kernels
        {
            [GpuKernel]
            public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b) => dest[i] = a[i] * b[i];
        }
        """;

    [Fact]
    public void The_driver_does_not_keep_a_previous_compilation_alive()
    {
        Assert.False(FirstCompilationSurvivesTheNextRun(new GpuKernelGenerator()), "The first compilation is still reachable after the driver moved on to the next one.");
    }

    [Fact]
    public void The_check_catches_a_generator_that_keeps_symbols()
    {
        // The control: without it, a check that could never fail would pass.
        Assert.True(FirstCompilationSurvivesTheNextRun(new SymbolKeepingGenerator()));
    }

    private static bool FirstCompilationSurvivesTheNextRun(IIncrementalGenerator generator)
    {
        // As the compiler runs it: no step tracking, which would itself keep inputs of the last run.
        GeneratorDriver driver = CSharpGeneratorDriver.Create([generator.AsSourceGenerator()], parseOptions: GeneratorHarness.ParseOptions);
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

    /// <summary>Creates and runs on the first compilation in a frame of its own, so that no local of the test keeps it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunOnFirstCompilation(ref GeneratorDriver driver)
    {
        CSharpCompilation compilation = GeneratorHarness.Library(Kernels);
        driver = driver.RunGenerators(compilation);
        Assert.NotEmpty(driver.GetRunResult().GeneratedTrees);
        return new WeakReference(compilation);
    }

    /// <summary>The next compilation is what the IDE makes after a keystroke elsewhere: the kernel's cached model is kept.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunOnNextCompilation(ref GeneratorDriver driver, WeakReference first)
    {
        var previous = (CSharpCompilation)first.Target!;
        CSharpCompilation next = previous.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; internal static class Unrelated { }", GeneratorHarness.ParseOptions, "Unrelated.cs"));
        driver = driver.RunGenerators(next);
        Assert.NotEmpty(driver.GetRunResult().GeneratedTrees);
    }

    /// <summary>What the style guide warns against: a model that carries a symbol but compares without it.</summary>
    private sealed class SymbolKeepingGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<KernelWithSymbol> kernels = context.SyntaxProvider.ForAttributeWithMetadataName(
                "ParallelKit.GpuKernelAttribute",
                static (_, _) => true,
                static (context, _) => new KernelWithSymbol(context.TargetSymbol));
            context.RegisterSourceOutput(kernels, static (output, kernel) => output.AddSource(kernel.Name + ".g.cs", "// " + kernel.Name));
        }
    }

    private sealed class KernelWithSymbol(ISymbol symbol) : IEquatable<KernelWithSymbol>
    {
        public string Name { get; } = symbol.Name;

        public ISymbol Symbol { get; } = symbol;

        public bool Equals(KernelWithSymbol? other) => other is not null && other.Name == Name;

        public override bool Equals(object? obj) => Equals(obj as KernelWithSymbol);

        public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    }
}
