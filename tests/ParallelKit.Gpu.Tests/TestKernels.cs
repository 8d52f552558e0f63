using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace ParallelKit.Gpu.Tests;

/// <summary>The kernels the tests launch, on every path: CPU fast path, emulator, CUDA.</summary>
public static partial class TestKernels
{
    /// <summary>PyCUDA's <c>multiply_them</c>.</summary>
    [GpuKernel]
    public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b)
        => dest[i] = a[i] * b[i];

    /// <summary>y = alpha * x + y: y is read and written.</summary>
    [GpuKernel]
    public static void Saxpy(Index1D i, float alpha, ArrayView<float> x, ArrayView<float> y)
    {
        y[i] += alpha * x[i];
    }

    /// <summary>c = a × b for square matrices.</summary>
    [GpuKernel]
    public static void MatrixMultiply(Index2D index, ArrayView2D<float, Stride2D.DenseY> a, ArrayView2D<float, Stride2D.DenseY> b, ArrayView2D<float, Stride2D.DenseY> c)
    {
        float sum = 0;
        for (int k = 0; k < a.IntExtent.Y; k++)
        {
            sum += a[index.X, k] * b[k, index.Y];
        }

        c[index] = sum;
    }

    /// <summary>Sums blocks of 16 elements in shared memory, then adds each block's sum to <paramref name="total"/>: group semantics, so it runs on the emulator.</summary>
    [GpuKernel(GroupSize = 16)]
    public static void BlockSum(Index1D i, ArrayView<int> input, ArrayView<int> total)
    {
        ArrayView<int> block = ILGPU.SharedMemory.Allocate<int>(16);
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

    /// <summary>A view handed to a helper: no host copy, so on the CPU the kernel itself is called per index over ILGPU views; directions follow the call.</summary>
    [GpuKernel]
    public static void Square(Index1D i, ArrayView<double> values, ArrayView<double> squares)
        => Store(squares, i, XMath.Abs(values[i]) * XMath.Abs(values[i]));

    private static void Store(ArrayView<double> target, int index, double value) => target[index] = value;

    /// <summary>Numbers the cells of an <paramref name="extent"/>³ volume stored flat: a 3D index over a 1D view, a scalar named like the launch extent.</summary>
    [GpuKernel]
    public static void NumberCells(Index3D i, int extent, ArrayView<int> cells)
        => cells[(((i.X * extent) + i.Y) * extent) + i.Z] = (i.X * 10000) + (i.Y * 100) + i.Z;

    /// <summary>Writes past the end of its output when <paramref name="shift"/> is positive.</summary>
    [GpuKernel]
    public static void Shift(Index1D i, int shift, ArrayView<int> output) => output[i + shift] = i;
}
