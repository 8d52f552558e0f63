using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using ParallelKit.Gpu.Analyzers.Kernels;
using Xunit;
using static ParallelKit.Gpu.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Gpu.Analyzers.Tests;

/// <summary>The code fix for PK3018: <c>System.Math.X</c> becomes <c>XMath.X</c>, in the kernel or in a helper it calls.</summary>
public sealed class UseXMathCodeFixTests
{
    [Fact]
    public async Task Math_calls_in_the_kernel_and_in_a_helper_become_XMath_calls()
    {
        const string source = """
            using System;
            using ILGPU;
            using ParallelKit;

            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<double> a, ArrayView<float> b)
                {
                    a[i] = {|#0:Math.Sqrt(a[i])|} + {|#1:Norm(a[i])|};
                    b[i] = {|#2:System.MathF.Max(b[i], 1f)|};
                }

                private static double Norm(double x) => {|#3:Math.Abs(x)|};
            }
            """;
        const string fixedSource = """
            using System;
            using ILGPU;
            using ParallelKit;
            using ILGPU.Algorithms;

            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<double> a, ArrayView<float> b)
                {
                    a[i] = XMath.Sqrt(a[i]) + Norm(a[i]);
                    b[i] = XMath.Max(b[i], 1f);
                }

                private static double Norm(double x) => XMath.Abs(x);
            }
            """;

        var test = new CSharpCodeFixTest<GpuKernelAnalyzer, UseXMathCodeFixProvider, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),

            // Fix All takes two passes here: the helper's call is fixed through the diagnostic's additional location.
            NumberOfFixAllIterations = 2,
        };
        test.TestState.AdditionalReferences.AddRange(References);
        test.FixedState.AdditionalReferences.AddRange(References);
        test.ExpectedDiagnostics.Add(new DiagnosticResult(KernelUsesSystemMath).WithLocation(0).WithArguments("K", "System.Math.Sqrt", "Sqrt"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(KernelUsesSystemMath).WithLocation(1).WithLocation(3).WithArguments("K' through 'Norm", "System.Math.Abs", "Abs"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(KernelUsesSystemMath).WithLocation(2).WithArguments("K", "System.MathF.Max", "Max"));
        await test.RunAsync(TestContext.Current.CancellationToken);
    }

    private static ImmutableArray<MetadataReference> References { get; } =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(GpuKernelAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ILGPU.Index1D).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(ILGPU.Algorithms.XMath).Assembly.Location),
    ];
}
