using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace ParallelKit.Gpu.Tests;

/// <summary>
/// The kernels at sizes a device is for, on each real device present (CUDA, OpenCL), compared with plain
/// loops. A kind with no device here is skipped with the reason (CI runs OpenCL on pocl in a Debian 13 root).
/// </summary>
public sealed class DeviceTests
{
    public static IEnumerable<TheoryDataRow<GpuAcceleratorKind>> DeviceKinds => KernelTests.Rows(GpuAcceleratorKind.Cuda, GpuAcceleratorKind.OpenCL);

    [Theory]
    [MemberData(nameof(DeviceKinds))]
    public void Multiply_them_on_the_device_matches_a_plain_loop(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        float[] a = [.. Enumerable.Range(0, 1 << 20).Select(static i => (i % 1000) / 7f)];
        float[] b = [.. Enumerable.Range(0, 1 << 20).Select(static i => (i % 333) / 3f)];
        float[] dest = new float[a.Length];

        TestKernels.MultiplyThem(dest, a, b);

        Assert.Equal(a.Select((x, i) => x * b[i]), dest);
    }

    [Theory]
    [MemberData(nameof(DeviceKinds))]
    public void Matrix_multiply_and_a_shared_memory_reduction_on_the_device(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        const int N = 128;
        float[,] a = new float[N, N];
        float[,] b = new float[N, N];
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
            {
                a[i, j] = (i + j) % 7;
                b[i, j] = (i * j) % 5;
            }
        }

        float[,] c = new float[N, N];
        TestKernels.MatrixMultiply(a, b, c);
        int[] input = [.. Enumerable.Range(1, 100_000).Select(static i => i % 10)];
        int[] total = new int[1];
        TestKernels.BlockSum(input, total);

        for (int i = 0; i < N; i += 17)
        {
            for (int j = 0; j < N; j += 13)
            {
                float sum = 0;
                for (int k = 0; k < N; k++)
                {
                    sum += a[i, k] * b[k, j];
                }

                Assert.Equal(sum, c[i, j]);
            }
        }

        Assert.Equal(input.Sum(), total[0]);
    }

    [Theory]
    [MemberData(nameof(DeviceKinds))]
    public void Spans_are_copied_to_the_device_and_back(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        float[] a = [.. Enumerable.Range(0, 1 << 16).Select(static i => (i % 1000) / 7f)];
        float[] y = [.. Enumerable.Range(0, (1 << 16) + 8).Select(static i => (i % 10) / 2f)];
        float[] expected = [.. y];
        for (int i = 0; i < a.Length; i++)
        {
            expected[4 + i] += 3f * a[i];
        }

        Span<float> dest = stackalloc float[64];

        TestKernels.Saxpy(3f, a, y.AsSpan(4, a.Length));
        TestKernels.MultiplyThem(dest, a.AsSpan(0, 64), a.AsSpan(64, 64));

        // A device compiler may contract y + 3a into one fused multiply-add: equal to within rounding.
        Assert.All(Enumerable.Range(0, y.Length), i => Assert.Equal(expected[i], y[i], 1e-3f));
        for (int i = 0; i < dest.Length; i++)
        {
            Assert.Equal(a[i] * a[64 + i], dest[i]);
        }
    }

    [Theory]
    [MemberData(nameof(DeviceKinds))]
    public void Device_arrays_live_in_device_memory_between_launches(GpuAcceleratorKind kind)
    {
        using IDisposable _ = KernelTests.Use(kind);
        float[] a = [.. Enumerable.Range(0, 4096).Select(static i => i / 4096f)];
        using var deviceA = new DeviceArray<float>(a);
        using var deviceDest = new DeviceArray<float>(a.Length);

        TestKernels.MultiplyThem(deviceDest, deviceA, deviceA);
        TestKernels.MultiplyThem(deviceDest, deviceDest, deviceA);

        Assert.Equal(kind == GpuAcceleratorKind.Cuda ? ILGPU.Runtime.AcceleratorType.Cuda : ILGPU.Runtime.AcceleratorType.OpenCL, deviceDest.Accelerator.AcceleratorType);
        Assert.Equal(a.Select(static x => x * x * x), deviceDest.ToArray());
    }
}
