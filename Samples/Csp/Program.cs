// PyCSP's classic networks with ParallelKit's CSP: producer/consumer, a pipeline of filters, the prime sieve
// of processes, the dining philosophers with a butler, CommsTime, and a network with members in OS processes
// of their own, one of which is killed. `dotnet run -- <name>` runs one; no argument runs them all.
using System;
using System.Linq;
using System.Threading.Tasks;
using CspSample;
using ParallelKit;

string[] all = ["producer-consumer", "pipeline", "sieve", "philosophers", "commstime", "os-processes", "kill"];
foreach (string name in args.Length > 0 ? args : all)
{
    switch (name)
    {
        case "producer-consumer":
        {
            var c = CspChannel.Create<long>();
            object?[] r = await Csp.Parallel(Networks.Processes.Producer(c.Writer(), 1000), Networks.Processes.Consumer(c.Reader()));
            Console.WriteLine($"producer-consumer: sum {r[1]}");
            break;
        }

        case "pipeline":
        {
            var numbers = CspChannel.Create<long>();
            var odd = CspChannel.Create<long>();
            var notThree = CspChannel.Create<long>();
            var squares = CspChannel.Create<long>();
            object?[] r = await Csp.Parallel(
                Networks.Processes.Producer(numbers.Writer(), 20),
                Networks.Processes.DropMultiples(numbers.Reader(), odd.Writer(), 2),
                Networks.Processes.DropMultiples(odd.Reader(), notThree.Writer(), 3),
                Networks.Processes.Square(notThree.Reader(), squares.Writer()),
                Networks.Processes.Consumer(squares.Reader()));
            Console.WriteLine($"pipeline: sum of squares {r[4]}");
            break;
        }

        case "sieve":
        {
            var numbers = CspChannel.Create<long>();
            var primes = CspChannel.Create<long>();
            object?[] r = await Csp.Parallel(
                Networks.Processes.Numbers(numbers.Writer(), 1000),
                Networks.Processes.Sieve(numbers.Reader(), primes.Writer()),
                Networks.Processes.CountAndLast(primes.Reader()));
            var (count, last) = ((int, long))r[2]!;
            Console.WriteLine($"sieve: {count} primes up to 1000, the last {last}");
            break;
        }

        case "philosophers":
        {
            const int N = 5, Meals = 200;
            var sit = CspChannel.Create<int>(name: "sit");
            var stand = CspChannel.Create<int>(name: "stand");
            var done = CspChannel.Create<int>(name: "done");
            var picks = Enumerable.Range(0, N).Select(i => CspChannel.Create<int>(name: $"pick-{i}")).ToArray();
            var puts = Enumerable.Range(0, N).Select(i => CspChannel.Create<int>(name: $"put-{i}")).ToArray();
            var network = Enumerable.Range(0, N).Select(i => Networks.Processes.Philosopher(
                    i, Meals, sit.Writer(), stand.Writer(),
                    picks[i].Writer(), puts[i].Writer(), picks[(i + 1) % N].Writer(), puts[(i + 1) % N].Writer(), done.Writer()))
                .Concat(Enumerable.Range(0, N).Select(i => Networks.Processes.Fork(picks[i].Reader(), puts[i].Reader())))
                .Append(Networks.Processes.Butler(sit.Reader(), stand.Reader(), N - 1))
                .Append(Networks.Processes.Host(done.Reader(), N, [sit.Writer(), .. picks.Select(p => p.Writer())]))
                .ToArray();
            object?[] r = await Csp.Parallel(network);
            Console.WriteLine($"philosophers: {N} ate {Meals} meals each, at most {r[2 * N]} seated at once, no deadlock");
            break;
        }

        case "commstime":
        {
            const int Cycles = 20_000;
            var a = CspChannel.Create<long>();
            var b = CspChannel.Create<long>();
            var c = CspChannel.Create<long>();
            var d = CspChannel.Create<long>();
            object?[] r = await Csp.Parallel(
                Networks.Processes.Prefix(c.Reader(), a.Writer(), 0),
                Networks.Processes.Delta(a.Reader(), b.Writer(), d.Writer()),
                Networks.Processes.Successor(d.Reader(), c.Writer()),
                Networks.Processes.CommsTimeConsumer(b.Reader(), Cycles));
            Console.WriteLine($"commstime: {Cycles} cycles, {(double)r[3]!:F2} µs per communication");
            break;
        }

        case "os-processes":
        {
            var numbers = CspChannel.Create<long>();
            var plusOne = CspChannel.Create<long>();
            var plusTwo = CspChannel.Create<long>();
            var pids = CspChannel.Create<long>(buffer: 2);
            object?[] r = await Csp.Parallel(
                Networks.Processes.Producer(numbers.Writer(), 100),
                Networks.Processes.ReportingSuccessor(pids.Writer(), numbers.Reader(), plusOne.Writer()).InOsProcess(),
                Networks.Processes.ReportingSuccessor(pids.Writer(), plusOne.Reader(), plusTwo.Writer()).InOsProcess(),
                Networks.Processes.Consumer(plusTwo.Reader()));
            long p1 = pids.Reader().Read(), p2 = pids.Reader().Read();
            Console.WriteLine($"os-processes: sum {r[3]} through two OS processes ({(p1 != p2 && p1 != Environment.ProcessId ? "each its own" : "NOT separate")})");
            break;
        }

        case "kill":
        {
            var pids = CspChannel.Create<long>();
            var input = CspChannel.Create<long>();
            var output = CspChannel.Create<long>();
            try
            {
                await Csp.Parallel(
                    Networks.Processes.Endless(input.Writer()),
                    Networks.Processes.ReportingSuccessor(pids.Writer(), input.Reader(), output.Writer()).InOsProcess(),
                    Networks.Processes.Consumer(output.Reader()),
                    Networks.Processes.Killer(pids.Reader()));
                Console.WriteLine("kill: the network ended without noticing the death");
            }
            catch (AggregateException e) when (e.InnerExceptions.OfType<CspProcessDiedException>().FirstOrDefault() is { } died)
            {
                Console.WriteLine($"kill: {died.ProcessName} died (signal {died.Signal}); its channels were poisoned and the network ended");
            }

            break;
        }

        default:
            Console.Error.WriteLine($"unknown network '{name}'; one of: {string.Join(", ", all)}");
            return 2;
    }
}

return 0;
