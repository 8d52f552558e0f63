using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using ParallelKit.Gpu.Analyzers.Kernels;
using ParallelKit.Gpu.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Gpu.Generators.Tests;

/// <summary>
/// The kernel generator and the kernel analyzer run on the same kernels and must agree: a valid kernel gets launchers
/// that compile, with no PK diagnostic; an invalid one gets its PK error and no generated code. One row per rule of PK3xxx.
/// </summary>
public sealed class KernelRuleParityTests
{
    private const string Header = """
        #nullable enable
        using System;
        using ILGPU;
        using ILGPU.Algorithms;
        using ILGPU.Runtime;
        using ParallelKit;

        """;

    /// <summary>Kernels (the body of a partial class) and the PK error each must get; "valid" rows must get launchers and none.</summary>
    public static TheoryData<string, string> Kernels { get; } = new()
    {
        { "valid", "[GpuKernel] public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b) => dest[i] = a[i] * b[i];" },
        { "valid", "[GpuKernel] public static void Saxpy(Index1D i, float alpha, ArrayView<float> x, ArrayView<float> y) { y[i] += alpha * Helper(x[i]); } private static float Helper(float v) => XMath.Sqrt(v);" },
        { "valid", "[GpuKernel] public static void Matrix(Index2D i, ArrayView2D<float, Stride2D.DenseY> m) => m[i] = 1f;" },
        { "valid", "[GpuKernel(GroupSize = 32)] public static void Reduce(Index1D i, ArrayView<int> input, ArrayView<int> total) { ArrayView<int> shared = SharedMemory.Allocate<int>(32); shared[Group.IdxX] = input[i]; Group.Barrier(); if (Group.IsFirstThread) { Atomic.Add(ref total[0], shared[0]); } }" },
        { "valid", "[GpuKernel] public static void Keywords(Index1D @var, ArrayView<int> @value, int @async) => @value[@var] = @async;" },
        { "valid", "} namespace @class { public static partial class @event { [GpuKernel] public static void K(Index1D i, ArrayView<int> a) => a[i] = 1; }" },
        { "PK3001", "[GpuKernel] public static void K(int i, ArrayView<float> a) => a[i] = 1;" },
        { "PK3002", "[GpuKernel] public static void K(Index1D i, ArrayView<float> a, string s) => a[i] = 1;" },
        { "PK3002", "[GpuKernel] public static void K(Index1D i, ArrayView<float> a, float[] array) => a[i] = 1;" },
        { "PK3003", "[GpuKernel] public void K(Index1D i, ArrayView<float> a) => a[i] = 1;" },
        { "PK3003", "[GpuKernel] public static int K(Index1D i, ArrayView<float> a) => 0;" },
        { "PK3003", "[GpuKernel] public static void K<T>(Index1D i, ArrayView<float> a) => a[i] = 1;" },
        { "PK3004", "} public class Plain { [GpuKernel] public static void K(Index1D i, ArrayView<float> a) => a[i] = 1;" },
        { "PK3005", "[GpuKernel] public static void K(Index1D i, int x) { }" },
        { "PK3006", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) { int[] array = new int[4]; a[i] = array[0]; }" },
        { "PK3007", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) { string s = \"text\"; a[i] = s.Length; }" },
        { "PK3008", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) { object o = a[i]; a[i] = o.GetHashCode(); }" },
        { "PK3009", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) { try { a[i] = 1; } finally { a[i] = 2; } }" },
        { "PK3010", "private static readonly object Gate = new(); [GpuKernel] public static void K(Index1D i, ArrayView<int> a) { lock (Gate) { a[i] = 1; } }" },
        { "PK3011", "[GpuKernel] public static async void K(Index1D i, ArrayView<int> a) { await System.Threading.Tasks.Task.Yield(); a[i] = 1; }" },
        { "PK3012", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a, Pair p) { foreach (int v in new[] { p.A }) { a[i] += v; } } public struct Pair { public int A; }" },
        { "PK3013", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) => a[i] = Fib(i); private static int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);" },
        { "PK3014", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) { IComparable c = \"x\"; a[i] = c.CompareTo(null); }" },
        { "PK3015", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) { Func<int, int> twice = x => x * 2; a[i] = twice(i); }" },
        { "PK3016", "private static int s_counter; [GpuKernel] public static void K(Index1D i, ArrayView<int> a) => a[i] = s_counter;" },
        { "PK3017", "[GpuKernel] public static void K(Index1D i, ArrayView<int> a) => a[i] = Environment.ProcessorCount;" },
        { "PK3018", "[GpuKernel] public static void K(Index1D i, ArrayView<float> a) => a[i] = MathF.Sqrt(a[i]);" },
        { "PK3019", "[GpuKernel] public static void K(Index2D i, ArrayView<int> a) { Group.Barrier(); a[i.X] = 1; }" },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public async Task Each_kernel_gets_its_launchers_or_its_error(string expected, string members)
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation input = GeneratorHarness.Library(Header + "public static partial class Kernels\n{\n" + members + "\n}\n");
        GeneratorDriver driver = GeneratorHarness.CreateDriver()
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics, TestContext.Current.CancellationToken);
        GeneratorRunResult run = driver.GetRunResult().Results.Single();
        Assert.Null(run.Exception);
        Assert.Empty(generatorDiagnostics);

        ImmutableArray<Diagnostic> analyzerDiagnostics = await output
            .WithAnalyzers([new GpuKernelAnalyzer()], new AnalyzerOptions([]))
            .GetAnalyzerDiagnosticsAsync(TestContext.Current.CancellationToken);
        string[] reported = [.. analyzerDiagnostics.Select(static d => d.Id).Distinct().Order()];
        Diagnostic[] errors = [.. output.GetDiagnostics(TestContext.Current.CancellationToken).Where(static d => d.Severity == DiagnosticSeverity.Error)];

        if (expected == "valid")
        {
            Assert.Empty(reported);
            Assert.NotEmpty(run.GeneratedSources);
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(expected, reported);
            Assert.Empty(run.GeneratedSources);
            Assert.DoesNotContain(errors, e => e.Location.SourceTree is { } tree && run.GeneratedSources.Any(s => s.SyntaxTree == tree));
        }
    }
}
