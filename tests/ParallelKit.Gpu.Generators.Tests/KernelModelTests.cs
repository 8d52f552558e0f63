using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels;
using ParallelKit.Gpu.Generators.Kernels.Models;
using ParallelKit.Gpu.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Gpu.Generators.Tests;

/// <summary>
/// The kernel models compare by value, hold nothing from the compilation, and carry the set of launchers
/// each kernel gets, decided once in the model.
/// </summary>
public sealed class KernelModelTests
{
    private const string Source = """
        using ILGPU;
        using ILGPU.Runtime;
        using ParallelKit;

        namespace Demo;

        public static partial class Kernels
        {
            [GpuKernel]
            public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b) => dest[i] = a[i] * b[i];

            [GpuKernel]
            public static void Saxpy(Index1D i, float alpha, ArrayView<float> x, ArrayView<float> y) => y[i] += alpha * x[i];

            [GpuKernel]
            public static void Multiply(Index2D i, ArrayView2D<float, Stride2D.DenseY> a, ArrayView2D<float, Stride2D.DenseY> c) => c[i] = a[i];

            [GpuKernel]
            public static void Fill(Index3D i, int n, ArrayView<int> cells) => cells[(i.X * n + i.Y) * n + i.Z] = 1;
        }
        """;

    [Fact]
    public void Building_the_same_input_twice_gives_equal_models()
    {
        KernelFileModel[] first = BuildModels(GeneratorHarness.Library(Source));
        KernelFileModel[] second = BuildModels(GeneratorHarness.Library(Source));

        Assert.Equal(4, first.Length);
        Assert.Equal(first, second);
        for (int i = 0; i < first.Length; i++)
        {
            Assert.NotSame(first[i], second[i]);
            Assert.Equal(first[i].GetHashCode(), second[i].GetHashCode());
        }
    }

    [Fact]
    public void A_changed_kernel_gives_a_different_model_and_leaves_the_others_equal()
    {
        KernelFileModel[] first = BuildModels(GeneratorHarness.Library(Source));
        KernelFileModel[] second = BuildModels(GeneratorHarness.Library(Source.Replace("a[i] * b[i]", "a[i] + b[i]", StringComparison.Ordinal)));

        Assert.NotEqual(first[0], second[0]);
        Assert.Equal(first[1..], second[1..]);
    }

    [Fact]
    public void Models_hold_only_values_never_symbols_syntax_or_compilations()
    {
        var visited = new HashSet<Type>();
        AssertValueOnly(typeof(KernelFileModel), visited);
        Assert.Contains(typeof(KernelParameterModel), visited);
        Assert.Contains(typeof(LauncherOverload), visited);
    }

    [Fact]
    public void A_one_dimensional_kernel_gets_arrays_device_arrays_spans_each_with_and_without_an_extent_and_async_twins()
    {
        KernelModel multiplyThem = BuildModels(GeneratorHarness.Library(Source))[0].Kernel;

        Assert.Equal(
            [
                "Arrays", "Arrays(extent)", "DeviceArrays", "DeviceArrays(extent)", "Spans", "Spans(extent)",
                "Arrays async", "Arrays(extent) async", "DeviceArrays async", "DeviceArrays(extent) async",
            ],
            multiplyThem.Overloads.Select(Describe));
    }

    [Fact]
    public void Two_dimensional_views_get_only_arrays_and_a_kernel_whose_first_view_does_not_match_its_index_needs_an_extent()
    {
        KernelFileModel[] models = BuildModels(GeneratorHarness.Library(Source));

        Assert.Equal(["Arrays", "Arrays(extent)", "Arrays async", "Arrays(extent) async"], models[2].Kernel.Overloads.Select(Describe));
        Assert.Equal(
            ["Arrays(extent)", "DeviceArrays(extent)", "Spans(extent)", "Arrays(extent) async", "DeviceArrays(extent) async"],
            models[3].Kernel.Overloads.Select(Describe));
    }

    [Fact]
    public void Below_CSharp_13_the_model_lists_no_span_launchers()
    {
        CSharpCompilation csharp12 = GeneratorHarness.Library(Source);
        csharp12 = csharp12.ReplaceSyntaxTree(csharp12.SyntaxTrees[0], CSharpSyntaxTree.ParseText(Source, GeneratorHarness.ParseOptions.WithLanguageVersion(LanguageVersion.CSharp12), "Source0.cs"));

        Assert.DoesNotContain(BuildModels(csharp12)[0].Kernel.Overloads, static o => o.Family == LauncherFamily.Spans);
        Assert.Equal(8, BuildModels(csharp12)[0].Kernel.Overloads.AsImmutableArray().Length);
    }

    [Fact]
    public void A_kernel_with_more_views_than_the_runtime_pins_at_once_gets_no_host_copy()
    {
        static string Kernel(int views) => $$"""
            using ILGPU;
            using ILGPU.Runtime;
            using ParallelKit;

            namespace Demo;

            public static partial class Wide
            {
                [GpuKernel]
                public static void Sum(Index1D i, {{string.Join(", ", Enumerable.Range(0, views).Select(static v => $"ArrayView<int> v{v}"))}}) => v0[i] = {{string.Join(" + ", Enumerable.Range(1, views - 1).Select(static v => $"v{v}[i]"))}};
            }
            """;

        Assert.NotNull(BuildModels(GeneratorHarness.Library(Kernel(KernelModelBuilder.MaxHostViews)))[0].Kernel.HostBody);
        Assert.Null(BuildModels(GeneratorHarness.Library(Kernel(KernelModelBuilder.MaxHostViews + 1)))[0].Kernel.HostBody);
        Assert.Equal(typeof(ParallelKit.Gpu.HostSpans).GetField(nameof(ParallelKit.Gpu.HostSpans.MaxSpans))!.GetRawConstantValue(), KernelModelBuilder.MaxHostViews);
    }

    private static string Describe(LauncherOverload overload)
        => overload.Family + (overload.ExplicitExtent ? "(extent)" : string.Empty) + (overload.IsAsync ? " async" : string.Empty);

    /// <summary>Runs the per-kernel transform on every <c>[GpuKernel]</c> method, in declaration order.</summary>
    private static KernelFileModel[] BuildModels(CSharpCompilation compilation)
    {
        var models = new List<KernelFileModel>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (MethodDeclarationSyntax method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                IMethodSymbol symbol = model.GetDeclaredSymbol(method)!;
                AttributeData? attribute = symbol.GetAttributes().FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == "ParallelKit.GpuKernelAttribute");
                if (attribute is not null)
                {
                    models.Add(Assert.IsType<KernelFileModel>(KernelModelBuilder.TryBuild(symbol, method, attribute, model, TestContext.Current.CancellationToken)));
                }
            }
        }

        return [.. models];
    }

    /// <summary>
    /// Every property of a model is a string, a primitive, an enum, another model or an
    /// <see cref="EquatableArray{T}"/> of those: nothing that compares by reference or roots a compilation.
    /// </summary>
    private static void AssertValueOnly(Type type, HashSet<Type> visited)
    {
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum || !visited.Add(type))
        {
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EquatableArray<>))
        {
            AssertValueOnly(type.GetGenericArguments()[0], visited);
            return;
        }

        Assert.True(type.Namespace == typeof(KernelFileModel).Namespace || type == typeof(TypeDeclarationModel), $"A model holds a {type.FullName}, which is neither a value nor a model.");
        Assert.True(type.GetMethod("Equals", [type]) is not null, $"{type.Name} has no value equality.");
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (property.Name != "EqualityContract")
            {
                AssertValueOnly(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, visited);
            }
        }
    }
}
