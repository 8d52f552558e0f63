using System.Threading.Tasks;
using Xunit;
using static ParallelKit.Gpu.Analyzers.Diagnostics.DiagnosticDescriptors;
using Verify = ParallelKit.Gpu.Analyzers.Tests.AnalyzerVerifier;

namespace ParallelKit.Gpu.Analyzers.Tests;

/// <summary>PK3001 to PK3019 on <c>[GpuKernel]</c> declarations and bodies, and their absence on valid kernels.</summary>
public sealed class GpuKernelAnalyzerTests
{
    private const string Header = """
        #nullable enable
        using System;
        using ILGPU;
        using ILGPU.Algorithms;
        using ILGPU.Runtime;
        using ParallelKit;

        """;

    [Fact]
    public async Task Valid_kernels_have_no_diagnostics()
    {
        const string source = Header + """
            public struct Pair { public float A; public float B; }

            public static partial class Kernels
            {
                private const float Scale = 2f;
                private static readonly float Offset = 1f;

                [GpuKernel]
                public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b) => dest[i] = a[i] * b[i];

                [GpuKernel]
                public static void Saxpy(Index1D i, float alpha, ArrayView<float> x, ArrayView<float> y) { y[i] += alpha * x[i] * Scale + Offset; }

                [GpuKernel]
                public static void Matrix(Index2D i, ArrayView2D<float, Stride2D.DenseY> m, Pair pair) => m[i] = XMath.Sqrt(pair.A) + Helper(i.X);

                [GpuKernel(GroupSize = 32)]
                public static void Reduce(Index1D i, ArrayView<int> input, ArrayView<int> total)
                {
                    ArrayView<int> shared = SharedMemory.Allocate<int>(32);
                    shared[Group.IdxX] = i < input.Length ? input[i] : 0;
                    Group.Barrier();
                    if (Group.IsFirstThread) { Atomic.Add(ref total[0], shared[0]); }
                    Interop.WriteLine("done {0}", i.X);
                }

                [GpuKernel]
                public static void Loops(Index3D i, ArrayView<int> output)
                {
                    Span<int> local = default;
                    foreach (int value in local) { output[0] += value; }
                    for (int k = 0; k < 3; k++) { output[k] = LocalHelper(k); }
                    static int LocalHelper(int x) => x * 2;
                }

                private static float Helper(int x) => x + float.Epsilon + (float)int.MaxValue;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3001_first_parameter_not_an_index()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(int {|PK3001:i|}, ArrayView<float> a) => a[i] = 1;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3002_parameter_types_a_kernel_cannot_take()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<float> a, string {|PK3002:s|}, ArrayView2D<float, Stride2D.DenseX> {|PK3002:m|}, ref int {|PK3002:r|}, float[] {|PK3002:array|}) => a[i] = 1;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3003_kernel_shape()
    {
        const string source = Header + """
            public partial class Kernels
            {
                [GpuKernel]
                public void {|PK3003:Instance|}(Index1D i, ArrayView<float> a) => a[i] = 1;

                [GpuKernel]
                public static int {|PK3003:Returns|}(Index1D i, ArrayView<float> a) => 0;

                [GpuKernel]
                public static void {|PK3003:Generic|}<T>(Index1D i, ArrayView<float> a) => a[i] = 1;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3004_kernel_type_not_partial()
    {
        const string source = Header + """
            public static class Outer
            {
                public static partial class Kernels
                {
                    [GpuKernel]
                    public static void {|#0:K|}(Index1D i, ArrayView<float> a) => a[i] = 1;
                }
            }
            """;

        await Verify.VerifyAsync(source, Verify.Diagnostic(KernelNotInPartialType).WithLocation(0).WithArguments("K", "'Outer'"));
    }

    [Fact]
    public async Task PK3005_kernel_without_a_view()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void {|PK3005:K|}(Index1D i, int x) { }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3006_allocations()
    {
        const string source = Header + """
            public sealed class Box { public int Value; }

            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a)
                {
                    var box = {|PK3006:new Box()|};
                    int[] array = {|PK3006:new int[4]|};
                    a[i] = box.Value + array[0];
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3007_strings()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a)
                {
                    string s = {|PK3007:"text"|};
                    a[i] = {|PK3007:$"{i}"|}.Length;
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3008_boxing()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a)
                {
                    object o = {|PK3008:a[i]|};
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3009_exceptions()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a)
                {
                    {|PK3009:try { a[i] = 1; } finally { a[i] = 2; }|}
                    if (a[i] < 0) {|PK3009:throw {|PK3006:new InvalidOperationException()|};|}
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3010_lock()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                private static readonly object Gate = new();

                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a)
                {
                    {|PK3010:lock (Gate) { a[i] = 1; }|}
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3011_await()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static async void {|PK3003:K|}(Index1D i, ArrayView<int> a)
                {
                    {|PK3011:await {|PK3017:System.Threading.Tasks.Task.Yield()|}|};
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3012_foreach_over_a_collection()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a, Pair p)
                {
                    {|PK3012:foreach (int v in p) { a[i] += v; }|}
                }
            }

            public struct Pair : System.Collections.Generic.IEnumerable<int>
            {
                public System.Collections.Generic.IEnumerator<int> GetEnumerator() { yield return 1; }
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3013_recursion_in_a_helper_is_reported_at_the_kernels_call()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a) => a[i] = {|#0:Fib(i.X)|};

                private static int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);
            }
            """;

        await Verify.VerifyAsync(source, Verify.Diagnostic(KernelRecursion).WithLocation(0).WithArguments("K' through 'Fib", "Kernels.Fib(int)"));
    }

    [Fact]
    public async Task PK3014_virtual_and_interface_calls()
    {
        const string source = Header + """
            public interface IShape { float Area(); }

            public static partial class Kernels
            {
                [GpuKernel]
                public static void K<TShape>(Index1D i, ArrayView<float> a) { }

                [GpuKernel]
                public static void Virtual(Index1D i, ArrayView<float> a, Square s)
                {
                    IShape shape = {|PK3008:s|};
                    a[i] = {|PK3014:shape.Area()|};
                }
            }

            public struct Square : IShape { public float Side; public float Area() => Side * Side; }
            """;

        await Verify.VerifyAsync(source, Verify.Diagnostic(KernelShape).WithSpan(12, 24, 12, 25).WithArguments("K", "non-generic"));
    }

    [Fact]
    public async Task PK3015_delegates_and_lambdas()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a)
                {
                    Func<int, int> twice = {|PK3015:x => x * 2|};
                    a[i] = {|PK3015:twice(i)|};
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3016_static_mutable_fields()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                private static int s_counter;

                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a) => a[i] = {|PK3016:s_counter|};
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3017_calls_to_methods_without_source()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<int> a) => a[i] = {|PK3017:Environment.ProcessorCount|} + {|PK3017:BitConverter.SingleToInt32Bits(1f)|};
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task PK3018_System_Math_where_XMath_is_needed_reported_at_the_call_in_the_kernel()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void K(Index1D i, ArrayView<double> a) => a[i] = {|#0:Norm(a[i])|};

                private static double Norm(double x) => {|#1:Math.Sqrt(x * x)|};
            }
            """;

        // The call in the helper goes along as an additional location, for the code fix.
        await Verify.VerifyAsync(source, Verify.Diagnostic(KernelUsesSystemMath).WithLocation(0).WithLocation(1).WithArguments("K' through 'Norm", "System.Math.Sqrt", "Sqrt"));
    }

    [Fact]
    public async Task PK3019_group_kernels_must_be_one_dimensional()
    {
        const string source = Header + """
            public static partial class Kernels
            {
                [GpuKernel]
                public static void {|PK3019:K|}(Index2D i, ArrayView<int> a)
                {
                    Group.Barrier();
                    a[i.X] = 1;
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }
}
