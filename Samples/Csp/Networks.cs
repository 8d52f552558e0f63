using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit;

namespace CspSample;

/// <summary>The processes of PyCSP's classic networks.</summary>
public static partial class Networks
{
    // ---- producer/consumer ------------------------------------------------------------------

    /// <summary>Writes 1..count, then ends (its end retires, which ends the consumer's loop).</summary>
    [CspProcess]
    public static async Task Producer(ChannelOut<long> output, int count)
    {
        for (int i = 1; i <= count; i++)
        {
            await output.WriteAsync(i);
        }
    }

    /// <summary>Sums what it reads until every writer has retired.</summary>
    [CspProcess]
    public static async Task<long> Consumer(ChannelIn<long> input)
    {
        long sum = 0;
        await foreach (long v in input)
        {
            sum += v;
        }

        return sum;
    }

    // ---- a pipeline of filters ----------------------------------------------------------------

    /// <summary>Passes on the values not divisible by <paramref name="divisor"/>.</summary>
    [CspProcess]
    public static async Task DropMultiples(ChannelIn<long> input, ChannelOut<long> output, long divisor)
    {
        await foreach (long v in input)
        {
            if (v % divisor != 0)
            {
                await output.WriteAsync(v);
            }
        }
    }

    /// <summary>Squares what passes.</summary>
    [CspProcess]
    public static async Task Square(ChannelIn<long> input, ChannelOut<long> output)
    {
        await foreach (long v in input)
        {
            await output.WriteAsync(v * v);
        }
    }

    // ---- the prime sieve of processes ---------------------------------------------------------

    /// <summary>Writes 2..limit.</summary>
    [CspProcess]
    public static async Task Numbers(ChannelOut<long> output, long limit)
    {
        for (long n = 2; n <= limit; n++)
        {
            await output.WriteAsync(n);
        }
    }

    /// <summary>
    /// The first value that reaches it is a prime: it reports it, then becomes a filter of its multiples in
    /// front of a new sieve stage (the network grows by one process per prime).
    /// </summary>
    [CspProcess]
    public static async Task Sieve(ChannelIn<long> input, ChannelOut<long> primes)
    {
        long prime;
        try
        {
            prime = await input.ReadAsync();
        }
        catch (ChannelRetiredException)
        {
            return; // no number left: the last stage
        }

        await primes.WriteAsync(prime);
        var rest = CspChannel.Create<long>();
        await Csp.Parallel(DropMultiplesStage(input, rest.Writer(), prime), Processes.Sieve(rest.Reader(), primes));
    }

    private static CspProcessCall DropMultiplesStage(ChannelIn<long> input, ChannelOut<long> output, long prime)
        => Processes.DropMultiples(input, output, prime);

    /// <summary>Counts and sums what it reads until the writers retire.</summary>
    [CspProcess]
    public static async Task<(int Count, long Last)> CountAndLast(ChannelIn<long> input)
    {
        int count = 0;
        long last = 0;
        await foreach (long v in input)
        {
            count++;
            last = v;
        }

        return (count, last);
    }

    // ---- the dining philosophers with a butler ------------------------------------------------

    /// <summary>
    /// A philosopher: sits down (the butler lets at most four sit), picks up the left then the right fork, eats,
    /// puts them down, stands up; <paramref name="meals"/> times, then says it is done. Its ends stay open when
    /// it ends (<c>Propagate = false</c>): the forks and the butler serve the others until the host poisons them.
    /// </summary>
    [CspProcess(Propagate = false)]
    public static void Philosopher(
        int id, int meals, ChannelOut<int> sit, ChannelOut<int> stand,
        ChannelOut<int> leftPick, ChannelOut<int> leftPut, ChannelOut<int> rightPick, ChannelOut<int> rightPut, ChannelOut<int> done)
    {
        for (int meal = 0; meal < meals; meal++)
        {
            sit.Write(id);
            leftPick.Write(id);
            rightPick.Write(id);
            Thread.SpinWait(100); // eat
            leftPut.Write(id);
            rightPut.Write(id);
            stand.Write(id);
        }

        done.Write(id);
    }

    /// <summary>A fork: picked up by one neighbour at a time (any-to-any channels: both neighbours write to them).</summary>
    [CspProcess]
    public static void Fork(ChannelIn<int> pick, ChannelIn<int> put)
    {
        while (true)
        {
            int holder = pick.Read();
            int returned = put.Read();
            if (returned != holder)
            {
                throw new InvalidOperationException($"philosopher {returned} put down a fork held by {holder}");
            }
        }
    }

    /// <summary>The butler: an alternation whose sit-down guard is enabled only while fewer than four sit.</summary>
    [CspProcess]
    public static int Butler(ChannelIn<int> sit, ChannelIn<int> stand, int seats)
    {
        InputGuard<int> sitDown = sit.Guard();
        var alt = new Alternation(stand.Guard(), sitDown);
        int seated = 0, most = 0;
        try
        {
            while (true)
            {
                sitDown.Enabled = seated < seats;
                Choice chosen = alt.FairSelect();
                seated += chosen.Guard == sitDown ? 1 : -1;
                most = Math.Max(most, seated);
            }
        }
        catch (ChannelPoisonedException)
        {
            return most;
        }
    }

    /// <summary>Waits for every philosopher to be done, then poisons the forks and the butler: the network ends.</summary>
    [CspProcess]
    public static void Host(ChannelIn<int> done, int philosophers, ChannelOut<int>[] shutdown)
    {
        for (int i = 0; i < philosophers; i++)
        {
            done.Read();
        }

        foreach (ChannelOut<int> end in shutdown)
        {
            end.Poison();
        }
    }

    // ---- CommsTime ------------------------------------------------------------------------------

    /// <summary>Writes <paramref name="first"/>, then copies its input to its output.</summary>
    [CspProcess]
    public static async Task Prefix(ChannelIn<long> input, ChannelOut<long> output, long first)
    {
        await output.WriteAsync(first);
        while (true)
        {
            await output.WriteAsync(await input.ReadAsync());
        }
    }

    /// <summary>Copies its input to both outputs.</summary>
    [CspProcess]
    public static async Task Delta(ChannelIn<long> input, ChannelOut<long> toConsumer, ChannelOut<long> toSuccessor)
    {
        while (true)
        {
            long v = await input.ReadAsync();
            await toConsumer.WriteAsync(v);
            await toSuccessor.WriteAsync(v);
        }
    }

    /// <summary>Adds one.</summary>
    [CspProcess]
    public static async Task Successor(ChannelIn<long> input, ChannelOut<long> output)
    {
        while (true)
        {
            await output.WriteAsync(await input.ReadAsync() + 1);
        }
    }

    /// <summary>Reads <paramref name="cycles"/> values, checks they count up, poisons the ring; returns µs per communication (four per cycle).</summary>
    [CspProcess]
    public static async Task<double> CommsTimeConsumer(ChannelIn<long> input, int cycles)
    {
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < cycles; i++)
        {
            long v = await input.ReadAsync();
            if (v != i)
            {
                throw new InvalidOperationException($"CommsTime read {v}, expected {i}");
            }
        }

        double microseconds = clock.Elapsed.TotalMicroseconds / (4.0 * cycles);
        input.Poison();
        return microseconds;
    }

    // ---- part of a network in OS processes, one killed -------------------------------------------

    /// <summary>Reports its OS process id, then adds one to what it reads.</summary>
    [CspProcess]
    public static async Task ReportingSuccessor(ChannelOut<long> pid, ChannelIn<long> input, ChannelOut<long> output)
    {
        await pid.WriteAsync(Environment.ProcessId);
        await foreach (long v in input)
        {
            await output.WriteAsync(v + 1);
        }
    }

    /// <summary>SIGKILLs the process whose id it reads.</summary>
    [CspProcess]
    public static void Killer(ChannelIn<long> pid)
    {
        using var victim = Process.GetProcessById((int)pid.Read());
        victim.Kill();
    }

    /// <summary>Writes forever (until its channel is poisoned).</summary>
    [CspProcess]
    public static async Task Endless(ChannelOut<long> output)
    {
        for (long i = 0; ; i++)
        {
            await output.WriteAsync(i);
        }
    }
}
