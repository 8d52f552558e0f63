// A forkmap-style parallel map: map(f, items) over worker processes, results in order.
//
//   import forkmap
//   def square(x): return x * x
//   print(forkmap.map(square, range(10)))
//
// then a map worth parallelising: the longest Collatz chain below a limit, one chunk of starts per item; then the
// same chunks as Python's imap, results as they come, leaving the loop (and cancelling the rest) at the first chunk
// with a chain of 300 steps or more.
using System;
using System.Globalization;
using System.Linq;
using ParallelKit;
using ParallelMapSample;

await using var server = JobServer.Start();

int[] squares = await server.MapAsync(Enumerable.Range(0, 10), x => Maps.Jobs.Square(x));
Console.WriteLine("[" + string.Join(", ", squares) + "]");

int limit = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
const int Chunks = 64;
(int From, int To)[] ranges =
[
    .. Enumerable.Range(0, Chunks).Select(c => (From: Math.Max(1, (int)((long)limit * c / Chunks)), To: (int)((long)limit * (c + 1) / Chunks))),
];
ChainLength[] longest = await server.MapAsync(ranges, r => Maps.Jobs.LongestCollatzChain(r.From, r.To));
ChainLength best = longest.MaxBy(l => l.Steps)!;
Console.WriteLine($"longest Collatz chain below {limit}: {best.Start} ({best.Steps} steps)");

await foreach (ChainLength chunkBest in server.MapStreamAsync(ranges, r => Maps.Jobs.LongestCollatzChain(r.From, r.To)))
{
    if (chunkBest.Steps >= 300)
    {
        Console.WriteLine($"first chain of 300+ steps, in chunk order: {chunkBest.Start} ({chunkBest.Steps} steps)");
        break;
    }
}
