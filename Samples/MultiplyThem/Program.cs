// PyCUDA's seed example, line for line, then the same kernel on device-resident arrays.
using System;
using System.Globalization;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiplyThem;
using ParallelKit;

// multiply_them = mod.get_function("multiply_them"): the kernel is Kernels.MultiplyThem below.
// a = numpy.random.randn(400).astype(numpy.float32)
var random = new Random(2024);
float[] a = RandomNormal(random, 400);
float[] b = RandomNormal(random, 400);

// dest = numpy.zeros_like(a)
float[] dest = new float[a.Length];

// multiply_them(drv.Out(dest), drv.In(a), drv.In(b), block=(400,1,1), grid=(1,1))
// The directions are inferred (dest only written: out; a and b only read: in), the extent is dest's length.
Kernels.MultiplyThem(dest, a, b);

// print(dest-a*b)
Console.WriteLine(FormatLikeNumpy(dest.Select((d, i) => d - (a[i] * b[i]))));

// Device-resident: upload once, launch several times, download once.
using var deviceA = new DeviceArray<float>(a);
using var deviceB = new DeviceArray<float>(b);
using var deviceDest = new DeviceArray<float>(a.Length);
const int Launches = 5;
for (int launch = 0; launch < Launches; launch++)
{
    Kernels.MultiplyThem(deviceDest, deviceA, deviceB);
    Kernels.MultiplyThem(deviceA, deviceDest, deviceB); // a <- a * b * b, on the device
}

await Kernels.MultiplyThemAsync(deviceDest, deviceA, deviceB);
float[] expected = a.Select((x, i) => x * MathF.Pow(b[i], 2 * Launches + 1)).ToArray();
float[] actual = deviceDest.ToArray();
float worst = actual.Select((x, i) => MathF.Abs(x - expected[i]) / MathF.Max(1f, MathF.Abs(expected[i]))).Max();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"device-resident: {2 * Launches + 1} launches, worst relative error {worst:G3}"));
Console.WriteLine($"accelerator: {GpuContext.Describe()}");
return worst < 1e-4f ? 0 : 1;

static float[] RandomNormal(Random random, int count)
    => Enumerable.Range(0, count).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();

// numpy prints a float32 array of zeros as "[0. 0. 0. ...]", 75 characters a line.
static string FormatLikeNumpy(System.Collections.Generic.IEnumerable<float> values)
{
    string[] items = values.Select(v => v == 0 ? "0." : v.ToString("G6", CultureInfo.InvariantCulture)).ToArray();
    var text = new System.Text.StringBuilder("[");
    int column = 1;
    for (int i = 0; i < items.Length; i++)
    {
        string item = items[i] + (i == items.Length - 1 ? "]" : string.Empty);
        if (column + item.Length + 1 > 75 && column > 1)
        {
            text.Append('\n').Append(' ');
            column = 1;
        }
        else if (i > 0)
        {
            text.Append(' ');
            column++;
        }

        text.Append(item);
        column += item.Length;
    }

    return text.ToString();
}

namespace MultiplyThem
{
    /// <summary>The seed's <c>__global__ void multiply_them(float *dest, float *a, float *b)</c>.</summary>
    public static partial class Kernels
    {
        /// <summary><c>dest[i] = a[i] * b[i]</c>.</summary>
        /// <param name="i">The thread's index (CUDA's <c>threadIdx.x</c>).</param>
        /// <param name="dest">The products.</param>
        /// <param name="a">The left factors.</param>
        /// <param name="b">The right factors.</param>
        [GpuKernel]
        public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b)
            => dest[i] = a[i] * b[i];
    }
}
