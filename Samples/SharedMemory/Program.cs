// Python's multiprocessing Value/Array example, line for line, then a [SharedValue] progress object
// that job workers update while this process draws a progress bar from it.
using System;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using ParallelKit;
using SharedMemorySample;

// from multiprocessing import Process, Value, Array
// def f(n, a): ...                                  -> Seed.F in Jobs.cs
// if __name__ == '__main__':
using var num = new SharedValue<double>(0.0);                              // num = Value('d', 0.0)
using var arr = new SharedArray<int>(Enumerable.Range(0, 10).ToArray());   // arr = Array('i', range(10))
using (var p = ParallelProcess.Start(Seed.Jobs.F(num, arr)))               // p = Process(target=f, args=(num, arr)); p.start()
{
    p.Join();                                                              // p.join()
}

Console.WriteLine(num.Value.ToString(CultureInfo.InvariantCulture));      // print(num.value)
Console.WriteLine("[" + string.Join(", ", arr.ToArray()) + "]");           // print(arr[:])

// A [SharedValue] object: the workers count primes and report into it; the parent only reads.
int limit = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000_000;
const int Chunks = 32;
using var progress = new SearchProgress();
await using var server = JobServer.Start();
Task[] jobs =
[
    .. Enumerable.Range(0, Chunks).Select(c => server.Submit(Search.Jobs.CountPrimes(
        progress,
        (int)((long)limit * c / Chunks),
        (int)((long)limit * (c + 1) / Chunks))).Completion),
];

Task all = Task.WhenAll(jobs);
while (!all.IsCompleted)
{
    Draw(progress.Checked, limit);
    await Task.WhenAny(all, Task.Delay(100));
}

await all;
Draw(progress.Checked, limit);
Console.Error.WriteLine();
Console.WriteLine($"{progress.Found} primes below {limit}, the largest {progress.Largest}");

// The bar goes to stderr, as tqdm's does: redirected output keeps only the results.
static void Draw(long done, long total)
{
    const int Width = 40;
    int filled = (int)(Width * done / total);
    Console.Error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {100 * done / total,3}%");
}
