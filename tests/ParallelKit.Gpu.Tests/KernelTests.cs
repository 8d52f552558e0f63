using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Gpu.Tests;

/// <summary>
/// Every test kernel on the CPU fast path (plain multithreaded C#), on ILGPU's CPU accelerator (the
/// emulator, exact GPU semantics) and on each real device present (OpenCL, CUDA), compared with a plain
/// loop. A kind with no device here is skipped with the reason; each case carries the trait
/// <c>Accelerator=&lt;kind&gt;</c>, which CI's OpenCL run filters on. Emulator and device sizes stay small.
/// </summary>
public sealed class KernelTests
{
    /// <summary>The trait each case carries: the kind it runs on, as <see cref="GpuContext.Name"/> spells it.</summary>
    public const string AcceleratorTrait = "Accelerator";

    public static IEnumerable<TheoryDataRow<GpuAcceleratorKind>> AllKinds =>
        Rows(GpuAcceleratorKind.Cpu, GpuAcceleratorKind.Emulator, GpuAcceleratorKind.OpenCL, GpuAcceleratorKind.Cuda);

    public static IEnumerable<TheoryDataRow<GpuAcceleratorKind>> Rows(params GpuAcceleratorKind[] kinds)
        => kinds.Select(static kind => new TheoryDataRow<GpuAcceleratorKind>(kind).WithTrait(AcceleratorTrait, GpuContext.Name(kind)));

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Multiply_them_matches_a_plain_loop(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        int n = kind == GpuAcceleratorKind.Cpu ? 100_000 : 4096;
        float[] a = Random(n, 1);
        float[] b = Random(n, 2);
        float[] dest = new float[n];

        TestKernels.MultiplyThem(dest, a, b);

        float[] expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = a[i] * b[i];
        }

        Assert.Equal(expected, dest);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Saxpy_reads_and_writes_y_and_passes_the_scalar(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        float[] x = Random(1000, 3);
        float[] y = Random(1000, 4);
        float[] expected = [.. y.Select((v, i) => v + (2f * x[i]))];

        TestKernels.Saxpy(2f, x, y);

        // A device compiler may contract y + alpha * x into one fused multiply-add: equal to within rounding.
        Assert.All(Enumerable.Range(0, y.Length), i => Assert.Equal(expected[i], y[i], 1e-6f));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Matrix_multiply_on_two_dimensional_arrays_matches_a_plain_loop(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        int n = kind == GpuAcceleratorKind.Cpu ? 96 : 24;
        float[,] a = Random2D(n, 5);
        float[,] b = Random2D(n, 6);
        float[,] c = new float[n, n];

        TestKernels.MatrixMultiply(a, b, c);

        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int k = 0; k < n; k++)
                {
                    sum += a[i, k] * b[k, j];
                }

                Assert.Equal(sum, c[i, j], 1e-4f);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void A_shared_memory_reduction_runs_in_whole_groups_on_the_emulator(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        int[] input = [.. Enumerable.Range(1, 1000)]; // not a multiple of the group size: the kernel checks its index
        int[] total = new int[1];

        TestKernels.BlockSum(input, total);

        Assert.Equal(input.Sum(), total[0]);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void A_three_dimensional_launch_visits_every_index_once(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        int n = kind == GpuAcceleratorKind.Cpu ? 32 : 12; // 32³ is past HostLoop.SerialThreshold: partitioned
        int[] cells = new int[n * n * n];

        TestKernels.NumberCells(new ILGPU.Index3D(n, n, n), n, cells);

        for (int x = 0; x < n; x++)
        {
            for (int y = 0; y < n; y++)
            {
                for (int z = 0; z < n; z++)
                {
                    Assert.Equal((x * 10000) + (y * 100) + z, cells[(((x * n) + y) * n) + z]);
                }
            }
        }
    }

    [Fact]
    public void Kernels_with_group_semantics_get_no_host_copy_and_are_launched_grouped()
    {
        MethodInfo[] generated = typeof(TestKernels).GetMethods(BindingFlags.NonPublic | BindingFlags.Static);

        Assert.DoesNotContain(generated, m => m.Name == "BlockSum__Host");
        Assert.Contains(generated, m => m.Name == "BlockSum__Grouped");
        Assert.Contains(generated, m => m.Name == "MultiplyThem__Host");
        Assert.Contains(generated, m => m.Name == "MatrixMultiply__Host");
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void A_view_passed_to_a_helper_is_followed_for_its_direction_and_the_kernel_itself_is_called_per_index_on_the_cpu(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        double[] values = [.. Enumerable.Range(-50, 100).Select(static v => v / 4.0)];
        double[] squares = [.. Enumerable.Repeat(-1.0, 100)];

        TestKernels.Square(values, squares);

        Assert.Equal(values.Select(static v => v * v), squares);
        Assert.DoesNotContain(typeof(TestKernels).GetMethods(BindingFlags.NonPublic | BindingFlags.Static), m => m.Name == "Square__Host");
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Device_arrays_stay_on_the_device_between_launches(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        float[] a = Random(512, 7);
        float[] b = Random(512, 8);
        using var deviceA = new DeviceArray<float>(a);
        using var deviceB = new DeviceArray<float>(b);
        using var deviceDest = new DeviceArray<float>(a.Length);

        for (int launch = 0; launch < 3; launch++)
        {
            TestKernels.MultiplyThem(deviceDest, deviceA, deviceB);
            TestKernels.MultiplyThem(deviceA, deviceDest, deviceB);
        }

        float[] expected = [.. a.Select((x, i) => x * b[i] * b[i] * b[i] * b[i] * b[i] * b[i])];
        float[] actual = deviceA.ToArray();
        Assert.All(Enumerable.Range(0, a.Length), i => Assert.Equal(expected[i], actual[i], 1e-5f));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task The_async_forms_complete_when_the_launch_has_run(GpuAcceleratorKind kind)
    {
        using IDisposable _ = Use(kind);
        float[] a = Random(300, 9);
        float[] b = Random(300, 10);
        float[] dest = new float[300];
        using var deviceDest = new DeviceArray<float>(300);
        using var deviceA = new DeviceArray<float>(a);
        using var deviceB = new DeviceArray<float>(b);

        await TestKernels.MultiplyThemAsync(dest, a, b);
        await TestKernels.MultiplyThemAsync(new ILGPU.Index1D(100), deviceDest, deviceA, deviceB);

        Assert.Equal(a.Select((x, i) => x * b[i]), dest);
        float[] device = deviceDest.ToArray();
        Assert.Equal(dest.Take(100), device.Take(100));
        Assert.All(device.Skip(100), static v => Assert.Equal(0f, v));
    }

    [Fact]
    public void An_explicit_extent_runs_only_that_many_indices()
    {
        using IDisposable _ = Use(GpuAcceleratorKind.Cpu);
        float[] a = Random(100, 11);
        float[] b = Random(100, 12);
        float[] dest = new float[100];

        TestKernels.MultiplyThem(new ILGPU.Index1D(40), dest, a, b);

        Assert.Equal(a.Take(40).Select((x, i) => x * b[i]), dest.Take(40));
        Assert.All(dest.Skip(40), static v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_fault_on_the_host_is_a_GpuKernelException_naming_the_kernel()
    {
        using IDisposable _ = Use(GpuAcceleratorKind.Cpu);
        int[] output = new int[HostLoop.SerialThreshold * 4];

        GpuKernelException error = Assert.Throws<GpuKernelException>(() => TestKernels.Shift(1, output));

        Assert.Equal("ParallelKit.Gpu.Tests.TestKernels.Shift", error.KernelName);
        Assert.Contains("TestKernels.Shift", error.Message, StringComparison.Ordinal);
        Assert.IsType<IndexOutOfRangeException>(error.InnerException);
    }

    [Fact]
    public void Null_arrays_are_argument_errors_not_kernel_failures()
    {
        Assert.Throws<ArgumentNullException>(() => TestKernels.MultiplyThem(null!, new float[1], new float[1]));
        Assert.Throws<ArgumentNullException>(() => TestKernels.MultiplyThem(new ILGPU.Index1D(1), new float[1], null!, new float[1]));
    }

    /// <summary>Runs the calling test on <paramref name="kind"/>, or skips it with the reason that kind has no device here.</summary>
    internal static IDisposable Use(GpuAcceleratorKind kind)
    {
        string? why = GpuContext.WhyUnavailable(kind);
        if (why is not null)
        {
            Assert.Skip($"{GpuContext.Name(kind)}: {why}");
        }

        return GpuContext.Use(kind);
    }

    private static float[] Random(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (random.NextSingle() * 2) - 1)];
    }

    private static float[,] Random2D(int n, int seed)
    {
        var random = new Random(seed);
        float[,] result = new float[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                result[i, j] = (random.NextSingle() * 2) - 1;
            }
        }

        return result;
    }
}
