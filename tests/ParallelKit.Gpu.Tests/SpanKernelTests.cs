using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace ParallelKit.Gpu.Tests;

/// <summary>
/// The span overloads on the CPU fast path (the runtime pins the spans, several threads run the host copy),
/// on the emulator and on each device present (copied in and out), compared with plain loops: slices of larger arrays, whose
/// neighbours must stay untouched, and stack memory.
/// </summary>
public sealed class SpanKernelTests
{
    private const float Untouched = -7f;

    public static IEnumerable<TheoryDataRow<GpuAcceleratorKind>> AllKinds => KernelTests.AllKinds;

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Slices_of_larger_arrays_match_a_plain_loop_and_leave_their_neighbours_alone(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        int n = kind == GpuAcceleratorKind.Cpu ? 100_000 : 4096; // past HostLoop.SerialThreshold on the CPU: partitioned
        float[] a = Random(n + 20, 1);
        float[] b = Random(n + 20, 2);
        float[] dest = [.. Enumerable.Repeat(Untouched, n + 20)];

        TestKernels.MultiplyThem(dest.AsSpan(10, n), a.AsSpan(3, n), b.AsSpan(17, n));

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(a[3 + i] * b[17 + i], dest[10 + i]);
        }

        Assert.All(dest.Take(10).Concat(dest.Skip(10 + n)), static v => Assert.Equal(Untouched, v));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Stack_allocated_spans_for_small_launches(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        Span<float> dest = stackalloc float[8];
        ReadOnlySpan<float> a = [1, 2, 3, 4, 5, 6, 7, 8];
        Span<float> b = stackalloc float[8];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = 0.5f * i;
        }

        TestKernels.MultiplyThem(dest, a, b);

        for (int i = 0; i < dest.Length; i++)
        {
            Assert.Equal(a[i] * b[i], dest[i]);
        }
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void A_span_read_and_written_is_copied_both_ways_and_the_scalar_passes_through(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        float[] x = Random(1000, 3);
        float[] y = Random(1200, 4);
        float[] expected = [.. y];
        for (int i = 0; i < 1000; i++)
        {
            expected[100 + i] += 2f * x[i];
        }

        TestKernels.Saxpy(2f, x.AsSpan(), y.AsSpan(100, 1000));

        // Untouched outside the slice; inside equal to within rounding (a device may fuse the multiply-add).
        Assert.Equal(expected.Take(100).Concat(expected.Skip(1100)), y.Take(100).Concat(y.Skip(1100)));
        Assert.All(Enumerable.Range(100, 1000), i => Assert.Equal(expected[i], y[i], 1e-6f));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void An_explicit_extent_runs_only_that_many_indices_of_the_spans(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        float[] a = Random(100, 5);
        float[] b = Random(100, 6);
        Span<float> dest = stackalloc float[100];
        dest.Fill(Untouched);

        TestKernels.MultiplyThem(new ILGPU.Index1D(40), dest, a.AsSpan(), b.AsSpan());

        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(a[i] * b[i], dest[i]);
        }

        // On a device the part not launched comes back undefined (dest is only copied out); on the host it is untouched.
        if (kind == GpuAcceleratorKind.Cpu)
        {
            foreach (float v in dest[40..])
            {
                Assert.Equal(Untouched, v);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void A_kernel_without_a_host_copy_and_a_group_kernel_take_spans_too(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        double[] values = [.. Enumerable.Range(-50, 120).Select(static v => v / 4.0)];
        double[] squares = [.. Enumerable.Repeat(-1.0, 120)];
        int[] input = [.. Enumerable.Range(1, 1000)];
        Span<int> total = stackalloc int[1];

        TestKernels.Square(values.AsSpan(10, 100), squares.AsSpan(10, 100));
        TestKernels.BlockSum(input.AsSpan(1, 998), total);

        Assert.Equal(values.Skip(10).Take(100).Select(static v => v * v), squares.Skip(10).Take(100));
        Assert.All(squares.Take(10).Concat(squares.Skip(110)), static v => Assert.Equal(-1.0, v));
        Assert.Equal(input.Skip(1).Take(998).Sum(), total[0]);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void A_three_dimensional_launch_writes_a_span(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        int n = kind == GpuAcceleratorKind.Cpu ? 32 : 12;
        int[] cells = new int[(n * n * n) + 1];

        TestKernels.NumberCells(new ILGPU.Index3D(n, n, n), n, cells.AsSpan(1));

        for (int x = 0; x < n; x++)
        {
            for (int y = 0; y < n; y++)
            {
                for (int z = 0; z < n; z++)
                {
                    Assert.Equal((x * 10000) + (y * 100) + z, cells[1 + (((x * n) + y) * n) + z]);
                }
            }
        }

        Assert.Equal(0, cells[0]);
    }

    [Fact]
    public void Spans_of_movable_arrays_stay_put_while_compacting_collections_run_during_host_launches()
    {
        using IDisposable cpu = KernelTests.Use(GpuAcceleratorKind.Cpu);
        int n = HostLoop.SerialThreshold + 4000; // several threads; 80 KB arrays stay in the small object heap, which compacts
        bool stop = false;
        var collector = new System.Threading.Thread(() =>
        {
            while (!System.Threading.Volatile.Read(ref stop))
            {
                GC.KeepAlive(new byte[1000]);
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

                // About a thousand compacting collections a second still land inside the launches; back to back,
                // on two cores, they left the launch's threads (and the finalizer) almost no time: the test crawled
                // for minutes (7.6 in one CI run, over 200 s alone).
                System.Threading.Thread.Sleep(1);
            }
        });
        collector.Start();

        try
        {
            for (int launch = 0; launch < 16; launch++)
            {
                GC.KeepAlive(new byte[512 * (launch + 1)]); // shifts where the next arrays are allocated
                float[] a = Random(n, 100 + launch);
                float[] b = Random(n, 200 + launch);
                float[] dest = new float[n + 2];

                TestKernels.MultiplyThem(dest.AsSpan(1, n), a, b.AsSpan());

                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(a[i] * b[i], dest[1 + i]);
                }

                Assert.Equal(0f, dest[0]);
                Assert.Equal(0f, dest[n + 1]);
            }
        }
        finally
        {
            System.Threading.Volatile.Write(ref stop, true);
            collector.Join();
        }
    }

    [Fact]
    public void A_slice_is_bounds_checked_against_its_own_length_on_the_host()
    {
        using IDisposable _ = KernelTests.Use(GpuAcceleratorKind.Cpu);
        int n = HostLoop.SerialThreshold * 4;
        int[] output = new int[n + 1];
        output[n] = 12345;

        GpuKernelException error = Assert.Throws<GpuKernelException>(() => TestKernels.Shift(1, output.AsSpan(0, n)));

        Assert.Equal("ParallelKit.Gpu.Tests.TestKernels.Shift", error.KernelName);
        Assert.IsType<IndexOutOfRangeException>(error.InnerException);
        Assert.Equal(12345, output[n]);
    }

    [Fact]
    public void Span_overloads_rank_below_array_overloads_read_only_views_are_read_only_spans_and_none_is_async()
    {
        MethodInfo[] multiplyThem = [.. typeof(TestKernels).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(static m => m.Name == nameof(TestKernels.MultiplyThem))];
        MethodInfo[] spans = [.. multiplyThem.Where(static m => m.GetParameters().Any(static p => p.ParameterType == typeof(Span<float>)))];

        Assert.Equal(2, spans.Length);
        Assert.All(spans, static m =>
        {
            Assert.Equal(-1, m.GetCustomAttribute<OverloadResolutionPriorityAttribute>()?.Priority);
            ParameterInfo[] views = [.. m.GetParameters().Where(static p => p.Name is "dest" or "a" or "b")];
            Assert.Equal([typeof(Span<float>), typeof(ReadOnlySpan<float>), typeof(ReadOnlySpan<float>)], views.Select(static p => p.ParameterType));
        });
        Assert.All(
            multiplyThem.Where(static m => !m.GetParameters().Any(static p => p.ParameterType.IsByRefLike)),
            static m => Assert.Null(m.GetCustomAttribute<OverloadResolutionPriorityAttribute>()));
        Assert.DoesNotContain(
            typeof(TestKernels).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(static m => m.Name.EndsWith("Async", StringComparison.Ordinal)),
            static m => m.GetParameters().Any(static p => p.ParameterType.IsByRefLike));
        Assert.DoesNotContain(
            typeof(TestKernels).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(static m => m.Name == nameof(TestKernels.MatrixMultiply)),
            static m => m.GetParameters().Any(static p => p.ParameterType.IsByRefLike));
    }

    [Fact]
    public void Arrays_bind_to_the_array_overloads_which_check_for_null()
    {
        // A null array reaching a span overload would run as an empty span; reaching the array overload it is an argument error.
        Assert.Throws<ArgumentNullException>(() => TestKernels.MultiplyThem(new float[1], null!, [1f]));
        Assert.Throws<ArgumentNullException>(() => TestKernels.Saxpy(new ILGPU.Index1D(1), 2f, [1f], null!));
    }

    private static float[] Random(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (random.NextSingle() * 2) - 1)];
    }
}
