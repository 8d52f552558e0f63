using System.Linq;
using Microsoft.CodeAnalysis;
using ParallelKit.Generators.Tests.Infrastructure;
using ParallelKit.Gpu.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Gpu.Generators.Tests;

/// <summary>The generated launchers, compared with checked-in snapshots (and compiled with no warning).</summary>
public sealed class KernelSnapshotTests
{
    private const string Usings = """
        using ILGPU;
        using ILGPU.Algorithms;
        using ILGPU.Runtime;
        using ParallelKit;

        """;

    [Fact]
    public void One_dimensional_kernel_gets_array_device_array_and_span_overloads()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Kernels
            {
                [GpuKernel]
                public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b)
                    => dest[i] = a[i] * b[i];
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Calls_with_arrays_still_bind_to_the_array_overloads_and_spans_to_the_span_overloads()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(
            GeneratorHarness.Library(Usings + """
                namespace Demo;

                public static partial class Kernels
                {
                    [GpuKernel]
                    public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b)
                        => dest[i] = a[i] * b[i];
                }
                """, """
                using System;

                namespace Demo;

                public static class Callers
                {
                    public static void Arrays(float[] dest, float[] a, float[] b)
                    {
                        Kernels.MultiplyThem(dest, a, b);
                        Kernels.MultiplyThem(new ILGPU.Index1D(2), dest, a, b);
                        Kernels.MultiplyThem(dest, [1f, 2f], b);
                        Kernels.MultiplyThem(null!, a, b);
                    }

                    public static void Spans(float[] dest, float[] a, float[] b)
                    {
                        Kernels.MultiplyThem(dest.AsSpan(1, 2), a, b);
                        Kernels.MultiplyThem(new ILGPU.Index1D(2), dest, a.AsSpan(), b);
                        Span<float> small = stackalloc float[4];
                        Kernels.MultiplyThem(small, a, new ReadOnlySpan<float>(b));
                    }
                }
                """),
            out Compilation output);

        Assert.Empty(result.Diagnostics);
        SyntaxTree callers = output.SyntaxTrees.Single(static t => t.FilePath == "Source1.cs");
        SemanticModel model = output.GetSemanticModel(callers);
        string[] Bound(string method) =>
        [
            .. callers.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>()
                .Single(m => m.Identifier.Text == method)
                .DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>()
                .Select(i => Assert.IsAssignableFrom<IMethodSymbol>(model.GetSymbolInfo(i).Symbol))
                .Where(static m => m.Name == "MultiplyThem")
                .Select(static m => m.Parameters.Single(static p => p.Name == "dest").Type.ToDisplayString()),
        ];

        Assert.Equal(["float[]", "float[]", "float[]", "float[]"], Bound("Arrays"));
        Assert.Equal(["System.Span<float>", "System.Span<float>", "System.Span<float>"], Bound("Spans"));
    }

    [Fact]
    public void Below_CSharp_13_there_are_no_span_overloads_and_the_rest_still_compiles()
    {
        Microsoft.CodeAnalysis.CSharp.CSharpParseOptions csharp12 = GeneratorHarness.ParseOptions.WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp12);
        Compilation input = GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Kernels
            {
                [GpuKernel]
                public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b)
                    => dest[i] = a[i] * b[i];
            }
            """);
        input = input.ReplaceSyntaxTree(input.SyntaxTrees.Single(), input.SyntaxTrees.Single().WithRootAndOptions(input.SyntaxTrees.Single().GetRoot(), csharp12));
        GeneratorDriver driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(
            [new ParallelKit.Gpu.Generators.Kernels.GpuKernelGenerator().AsSourceGenerator()],
            parseOptions: csharp12);

        driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);

        string generated = Assert.Single(driver.RunGenerators(input).GetRunResult().GeneratedTrees).ToString();
        Assert.DoesNotContain("Span<", generated, System.StringComparison.Ordinal);
        Assert.Contains("MultiplyThem(float[] dest, float[] a, float[] b)", generated, System.StringComparison.Ordinal);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "CS1591"));
    }

    [Fact]
    public void Scalars_pass_through_and_a_read_written_view_is_copied_both_ways()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Kernels
            {
                [GpuKernel]
                public static void Saxpy(Index1D i, float alpha, ArrayView<float> x, ArrayView<float> y)
                {
                    // y is read and written: in and out.
                    y[i] += alpha * x[i];
                }
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Two_dimensional_kernel_takes_rectangular_arrays()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Matrices
            {
                [GpuKernel]
                public static void Multiply(Index2D index, ArrayView2D<float, Stride2D.DenseY> a, ArrayView2D<float, Stride2D.DenseY> b, ArrayView2D<float, Stride2D.DenseY> c)
                {
                    float sum = 0;
                    for (int k = 0; k < a.IntExtent.Y; k++)
                    {
                        sum += a[index.X, k] * b[k, index.Y];
                    }

                    c[index] = sum;
                }
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Directions_follow_views_into_helpers_and_such_kernels_get_no_host_copy()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Kernels
            {
                [GpuKernel]
                public static void Clamp(Index1D i, ArrayView<double> input, ArrayView<double> output, ArrayView<int> counts, ArrayView<double> sub)
                {
                    Store(output, i, XMath.Clamp(input[i], 0, 1));
                    Atomic.Add(ref counts[0], 1);
                    ArrayView<double> part = sub.SubView(0, 1);
                    part[0] = 0;
                }

                private static void Store(ArrayView<double> target, int index, double value) => target[index] = value;
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Group_kernel_is_launched_in_explicit_groups_with_no_host_copy()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Reductions
            {
                [GpuKernel(GroupSize = 64)]
                public static void BlockSum(Index1D i, ArrayView<int> input, ArrayView<int> total)
                {
                    ArrayView<int> block = SharedMemory.Allocate<int>(64);
                    block[Group.IdxX] = i < input.Length ? input[i] : 0;
                    Group.Barrier();
                    if (Group.IdxX == 0)
                    {
                        int sum = 0;
                        for (int k = 0; k < Group.DimX; k++)
                        {
                            sum += block[k];
                        }

                        Atomic.Add(ref total[0], sum);
                    }
                }
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Three_dimensional_kernel_with_a_parameter_named_extent_takes_the_launch_extent_under_another_name()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Volumes
            {
                [GpuKernel]
                public static void Fill(Index3D i, int extent, ArrayView<int> cells)
                    => cells[(((i.X * extent) + i.Y) * extent) + i.Z] = i.X + i.Y + i.Z;
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Kernel_in_a_non_partial_type_gets_nothing()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static class Kernels
            {
                [GpuKernel]
                public static void Fill(Index1D i, ArrayView<float> a) => a[i] = 1;
            }
            """));

        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_kernel_model_cached()
    {
        Compilation first = GeneratorHarness.Library(Usings + """
            namespace Demo;

            public static partial class Kernels
            {
                [GpuKernel]
                public static void Fill(Index1D i, ArrayView<float> a) => a[i] = 1;
            }
            """, "namespace Demo; public static class Other { public static int X => 1; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);
        SyntaxTree other = first.SyntaxTrees.Last();
        Compilation second = first.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("namespace Demo; public static class Other { public static int X => 2; }")));

        GeneratorRunResult rerun = driver.RunGenerators(second).GetRunResult().Results.Single();

        Assert.All(
            rerun.TrackedSteps[ParallelKit.Gpu.Generators.Kernels.GpuKernelGenerator.TrackingNames.Execute].SelectMany(static s => s.Outputs),
            static o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(
            rerun.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs),
            static o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }
}
