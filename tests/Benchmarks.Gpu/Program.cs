// GPU kernel benchmarks: the CPU fast path against a plain serial loop and Parallel.For, ILGPU's CPU
// accelerator, and the generated launcher against hand-written ILGPU launch code on one accelerator.
// Run in Release: dotnet run -c Release --project tests/Benchmarks.Gpu. Prints one JSON object per line.
using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using ParallelKit;
using ParallelKit.Benchmarks.Gpu;

Console.Error.WriteLine($"accelerator: {GpuContext.Describe()}, {Environment.ProcessorCount} cores");

// multiply_them, n = 10^7 (memory-bound).
const int N = 10_000_000;
var random = new Random(1);
float[] a = [.. Enumerable.Range(0, N).Select(_ => random.NextSingle())];
float[] b = [.. Enumerable.Range(0, N).Select(_ => random.NextSingle())];
float[] dest = new float[N];
double serial = Measure(() =>
{
    for (int i = 0; i < dest.Length; i++)
    {
        dest[i] = a[i] * b[i];
    }
});
double parallelFor = Measure(() => Parallel.For(0, N, i => dest[i] = a[i] * b[i]));
double fastPath = GpuContext.Kind == GpuAcceleratorKind.Cpu ? Measure(() => Kernels.MultiplyThem(dest, a, b)) : double.NaN;
Report("multiply", N, ("serial_ms", serial), ("parallel_for_ms", parallelFor), ("fast_path_ms", fastPath), ("fast_path_vs_serial", serial / fastPath), ("fast_path_vs_parallel_for", parallelFor / fastPath));

// Matrix multiply, 512 x 512 (compute-bound).
const int M = 512;
float[,] ma = new float[M, M];
float[,] mb = new float[M, M];
float[,] mc = new float[M, M];
for (int i = 0; i < M; i++)
{
    for (int j = 0; j < M; j++)
    {
        ma[i, j] = random.NextSingle();
        mb[i, j] = random.NextSingle();
    }
}

double matrixSerial = Measure(() =>
{
    for (int i = 0; i < M; i++)
    {
        for (int j = 0; j < M; j++)
        {
            float sum = 0;
            for (int k = 0; k < M; k++)
            {
                sum += ma[i, k] * mb[k, j];
            }

            mc[i, j] = sum;
        }
    }
}, repetitions: 3);
double matrixParallel = Measure(() => Parallel.For(0, M, i =>
{
    for (int j = 0; j < M; j++)
    {
        float sum = 0;
        for (int k = 0; k < M; k++)
        {
            sum += ma[i, k] * mb[k, j];
        }

        mc[i, j] = sum;
    }
}), repetitions: 3);
double matrixFast = GpuContext.Kind == GpuAcceleratorKind.Cpu ? Measure(() => Kernels.MatrixMultiply(ma, mb, mc), repetitions: 3) : double.NaN;
Report("matrix_multiply", M, ("serial_ms", matrixSerial), ("parallel_for_ms", matrixParallel), ("fast_path_ms", matrixFast), ("fast_path_vs_serial", matrixSerial / matrixFast), ("fast_path_vs_parallel_for", matrixParallel / matrixFast));

// ILGPU's CPU accelerator against the fast path, n = 10^5 (the emulator is slow).
const int Small = 100_000;
float[] sa = a[..Small];
float[] sb = b[..Small];
float[] sd = new float[Small];
Accelerator accelerator = GpuContext.Accelerator;
using (MemoryBuffer1D<float, Stride1D.Dense> ba = accelerator.Allocate1D(sa), bb = accelerator.Allocate1D(sb), bd = accelerator.Allocate1D<float>(Small))
{
    Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> handWritten =
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Kernels.MultiplyThem);
    double emulator = Measure(() =>
    {
        handWritten(Small, bd.View, ba.View, bb.View);
        accelerator.Synchronize();
    }, repetitions: 3);
    double smallFast = GpuContext.Kind == GpuAcceleratorKind.Cpu ? Measure(() => Kernels.MultiplyThem(sd, sa, sb)) : double.NaN;
    Report("cpu_accelerator_vs_fast_path", Small, ("ilgpu_cpu_accelerator_ms", emulator), ("fast_path_ms", smallFast), ("fast_path_speedup", emulator / smallFast));
}

// Generated launcher against hand-written ILGPU launch code on the same accelerator (the one the context
// picked; on a machine without a GPU, ILGPU's CPU accelerator, as PARALLELKIT_ACCELERATOR=emulator runs it).
const int Launch = 4096;
using (var da = new DeviceArray<float>(sa[..Launch]))
using (var db = new DeviceArray<float>(sb[..Launch]))
using (var dd = new DeviceArray<float>(Launch))
{
    Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> handWritten =
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Kernels.MultiplyThem);
    void HandWritten()
    {
        handWritten(Launch, dd.View, da.View, db.View);
        accelerator.Synchronize();
    }

    // Alternate the two in rounds, so that drift in the machine's load hits both alike.
    double[] hands = new double[5];
    double[] generateds = new double[5];
    for (int round = 0; round < hands.Length; round++)
    {
        hands[round] = Measure(HandWritten, repetitions: 60);

        // On the CPU, the generated launcher would take the fast path: force the device path on the same accelerator.
        using (GpuContext.Kind == GpuAcceleratorKind.Cpu ? GpuContext.Use(GpuAcceleratorKind.Emulator) : null)
        {
            generateds[round] = Measure(() => Kernels.MultiplyThem(dd, da, db), repetitions: 60);
        }
    }

    Array.Sort(hands);
    Array.Sort(generateds);
    double hand = hands[hands.Length / 2];
    double generated = generateds[generateds.Length / 2];
    Report("generated_vs_hand_written_launch", Launch, ("hand_written_ms", hand), ("generated_ms", generated), ("overhead_ratio", generated / hand));
}

static double Measure(Action action, int repetitions = 7)
{
    action(); // warm up: JIT, kernel compilation
    double[] times = new double[repetitions];
    for (int r = 0; r < repetitions; r++)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Array.Sort(times);
    return times[repetitions / 2];
}

static void Report(string name, int n, params (string Key, double Value)[] values)
{
    string fields = string.Join(", ", values.Select(v => string.Create(CultureInfo.InvariantCulture, $"\"{v.Key}\": {(double.IsNaN(v.Value) ? "null" : v.Value.ToString("G4", CultureInfo.InvariantCulture))}")));
    Console.WriteLine($"{{\"benchmark\": \"{name}\", \"n\": {n}, {fields}}}");
}

namespace ParallelKit.Benchmarks.Gpu
{
    /// <summary>The benchmarked kernels.</summary>
    public static partial class Kernels
    {
        /// <summary>PyCUDA's <c>multiply_them</c>.</summary>
        /// <param name="i">The index.</param>
        /// <param name="dest">The products.</param>
        /// <param name="a">The left factors.</param>
        /// <param name="b">The right factors.</param>
        [GpuKernel]
        public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b)
            => dest[i] = a[i] * b[i];

        /// <summary>c = a × b.</summary>
        /// <param name="index">The element of c.</param>
        /// <param name="a">The left matrix.</param>
        /// <param name="b">The right matrix.</param>
        /// <param name="c">The product.</param>
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
    }
}
