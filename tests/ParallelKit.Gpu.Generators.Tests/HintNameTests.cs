using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using ParallelKit.Gpu.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Gpu.Generators.Tests;

/// <summary>
/// Hint names become file names (compared ignoring case): each kernel's must be unique in the compilation,
/// readable, and the same on every run, whatever the order of the files. A collision fails the whole
/// generator, not one file.
/// </summary>
public sealed class HintNameTests
{
    [Fact]
    public void Kernels_of_types_with_the_same_simple_name_get_readable_distinct_hint_names()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(
            Kernel("namespace Alpha;", "Kernels", "Scale"),
            Kernel("namespace Beta;", "Kernels", "Scale"),
            Kernel(string.Empty, "Kernels", "Scale")));

        Assert.Equal(["Alpha.Kernels.Scale.GpuKernel.g.cs", "Beta.Kernels.Scale.GpuKernel.g.cs", "Kernels.Scale.GpuKernel.g.cs"], HintNames(result));
    }

    [Fact]
    public void Overloaded_kernels_and_names_that_differ_only_in_case_get_distinct_hint_names()
    {
        // Legal C#, but Roslyn compares hint names ignoring case: without care the generator throws and
        // produces nothing at all for the compilation.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(
            Kernel("namespace Demo;", "Kernels", "Scale"),
            Kernel("namespace Demo;", "Kernels", "Scale", "ArrayView<int>"),
            Kernel("namespace Demo;", "Kernels", "SCALE", "ArrayView<double>"),
            Kernel("namespace Other;", "Kernels", "Plain")));

        string[] names = HintNames(result);
        Assert.Equal(4, names.Length);
        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains("Other.Kernels.Plain.GpuKernel.g.cs", names);
        Assert.All(names.Where(static n => n.StartsWith("Demo.", StringComparison.Ordinal)), static n => Assert.Matches(@"^Demo\.Kernels\.(Scale|SCALE)\.[0-9A-F]{8}\.GpuKernel\.g\.cs$", n));
    }

    [Fact]
    public void Hint_names_and_sources_do_not_depend_on_file_order()
    {
        string[] sources = [Kernel("namespace Demo;", "Kernels", "Scale"), Kernel("namespace Demo;", "Kernels", "SCALE"), Kernel("namespace Demo;", "More", "Scale")];

        GeneratorRunResult forward = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(sources));
        GeneratorRunResult backward = GeneratorHarness.RunAndCompile(GeneratorHarness.Library([.. sources.Reverse()]));

        Assert.Equal(
            forward.GeneratedSources.Select(static s => (s.HintName, s.SourceText.ToString())).OrderBy(static s => s.HintName, StringComparer.Ordinal),
            backward.GeneratedSources.Select(static s => (s.HintName, s.SourceText.ToString())).OrderBy(static s => s.HintName, StringComparer.Ordinal));
    }

    private static string[] HintNames(GeneratorRunResult result)
        => [.. result.GeneratedSources.Select(static s => s.HintName).OrderBy(static n => n, StringComparer.Ordinal)];

    private static string Kernel(string namespaceLine, string type, string name, string view = "ArrayView<float>") => $$"""
        using ILGPU;
        using ILGPU.Runtime;
        using ParallelKit;

        {{namespaceLine}}

        public static partial class {{type}}
        {
            [GpuKernel]
            public static void {{name}}(Index1D i, {{view}} values) => values[i] *= 2;
        }
        """;
}
