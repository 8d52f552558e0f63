// Parallel Python's classic job-server example (sum_primes), in C#:
// jobs run in worker processes (this executable, relaunched), one per core.
using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ParallelKit;
using Primes;

int limit = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5_000_000;

await using var server = JobServer.Start();
Console.WriteLine($"Starting ParallelKit job server with {server.Workers} workers");

// pp: jobs = [(input, job_server.submit(sum_primes, (input,))) for input in inputs]
int[] inputs = [100_000, 100_100, 100_200, 100_300, 100_400, 100_500, 100_600, 100_700];
var jobs = inputs.Select(input => (input, job: server.Submit(PrimeJobs.Jobs.SumPrimes(input)))).ToList();
foreach (var (input, job) in jobs)
{
    Console.WriteLine($"Sum of primes below {input} is {await job}");
}

// The same over many jobs: [0, limit) in 64 chunks, with a live progress bar (on stderr).
const int chunks = 64;
var ranges = Enumerable.Range(0, chunks)
    .Select(c => (From: c * (limit / chunks), To: c == chunks - 1 ? limit : (c + 1) * (limit / chunks)))
    .ToArray();
var clock = Stopwatch.StartNew();
var progress = new ProgressBar();
long[] sums = await server.MapAsync(ranges, r => PrimeJobs.Jobs.SumPrimesBetween(r.From, r.To), progress);
progress.Finish();
Console.WriteLine($"Sum of primes below {limit} is {sums.Sum()} ({chunks} jobs, {clock.Elapsed.TotalSeconds:F2} s)");
Console.WriteLine();
Console.WriteLine(server.Stats);

/// <summary>
/// A one-line progress bar on stderr, as tqdm draws it, so that redirected output stays clean; redrawn as map chunks
/// complete. Report runs on the thread that reads results, in order: keep it short.
/// </summary>
internal sealed class ProgressBar : IProgress<MapProgress>
{
    private const int Width = 40;
    private readonly object _gate = new();
    private int _lastDrawn = -1;

    public void Report(MapProgress value)
    {
        lock (_gate)
        {
            int filled = (int)(value.Fraction * Width);
            if (filled == _lastDrawn)
            {
                return;
            }

            _lastDrawn = filled;
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {value.Completed}/{value.Total} jobs");
        }
    }

    public void Finish()
    {
        lock (_gate)
        {
            Console.Error.WriteLine();
        }
    }
}
