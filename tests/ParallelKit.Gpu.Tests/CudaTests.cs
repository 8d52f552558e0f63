using System;
using System.Linq;
using Xunit;

namespace ParallelKit.Gpu.Tests;

/// <summary>
/// The same kernels on a CUDA GPU, compared with plain loops. Skipped, with the reason shown, on machines
/// without one; they run when a GPU is attached (the default accelerator choice picks CUDA first).
/// </summary>
public sealed class CudaTests
{
    [Fact]
    public void Multiply_them_on_the_gpu_matches_a_plain_loop()
    {
        RequireCuda();
        float[] a = [.. Enumerable.Range(0, 1 << 20).Select(static i => (i % 1000) / 7f)];
        float[] b = [.. Enumerable.Range(0, 1 << 20).Select(static i => (i % 333) / 3f)];
        float[] dest = new float[a.Length];

        TestKernels.MultiplyThem(dest, a, b);

        Assert.Equal(a.Select((x, i) => x * b[i]), dest);
    }

    [Fact]
    public void Matrix_multiply_and_a_shared_memory_reduction_on_the_gpu()
    {
        RequireCuda();
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

    [Fact]
    public void Spans_are_copied_to_the_gpu_and_back()
    {
        RequireCuda();
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

        Assert.Equal(expected, y);
        for (int i = 0; i < dest.Length; i++)
        {
            Assert.Equal(a[i] * a[64 + i], dest[i]);
        }
    }

    [Fact]
    public void Device_arrays_live_in_gpu_memory_between_launches()
    {
        RequireCuda();
        float[] a = [.. Enumerable.Range(0, 4096).Select(static i => i / 4096f)];
        using var deviceA = new DeviceArray<float>(a);
        using var deviceDest = new DeviceArray<float>(a.Length);

        TestKernels.MultiplyThem(deviceDest, deviceA, deviceA);
        TestKernels.MultiplyThem(deviceDest, deviceDest, deviceA);

        Assert.Equal(ILGPU.Runtime.AcceleratorType.Cuda, deviceDest.Accelerator.AcceleratorType);
        Assert.Equal(a.Select(static x => x * x * x), deviceDest.ToArray());
    }

    private static void RequireCuda()
    {
        if (GpuContext.Kind != GpuAcceleratorKind.Cuda)
        {
            Assert.Skip(GpuContext.HasCudaDevice
                ? $"a CUDA device is attached, but {GpuContext.AcceleratorVariable} chose {GpuContext.Describe()}"
                : $"no CUDA device attached (kernels run on {GpuContext.Describe()})");
        }
    }
}
