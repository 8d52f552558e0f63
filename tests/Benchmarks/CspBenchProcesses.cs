using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace ParallelKit.Benchmarks;

/// <summary>The CSP processes of the csp_commstime and csp_pingpong benchmarks (PyCSP's CommsTime network).</summary>
public static partial class CspBenchProcesses
{
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

    /// <summary>
    /// Reads one value (every process is up) and <paramref name="warmUp"/> more untimed (a member in an OS process of
    /// its own is a fresh process each run: its code is compiled as it first runs), then times <paramref name="n"/>
    /// reads; poisons the ring; returns seconds.
    /// </summary>
    [CspProcess]
    public static async Task<double> Consumer(ChannelIn<long> input, int n, int warmUp)
        => (await ConsumerSegments(input, n, warmUp, segments: 1).ConfigureAwait(false))[0];

    /// <summary>
    /// As <see cref="Consumer"/>, but times <paramref name="segments"/> consecutive runs of <paramref name="n"/> reads
    /// of one network after its warm-up (its member in an OS process of its own has then reached its steady state
    /// too); returns each run's seconds.
    /// </summary>
    [CspProcess]
    public static async Task<double[]> ConsumerSegments(ChannelIn<long> input, int n, int warmUp, int segments)
    {
        long expected = await input.ReadAsync() + 1;
        for (int i = 0; i < warmUp; i++)
        {
            if (await input.ReadAsync() != expected++)
            {
                throw new InvalidOperationException($"CommsTime read out of order in its warm-up");
            }
        }

        double[] seconds = new double[segments];
        for (int s = 0; s < segments; s++)
        {
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                long v = await input.ReadAsync();
                if (v != expected++)
                {
                    throw new InvalidOperationException($"CommsTime read {v}, expected {expected - 1}");
                }
            }

            seconds[s] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        input.Poison();
        return seconds;
    }

    /// <summary>Sends back what it reads.</summary>
    [CspProcess]
    public static async Task Echo(ChannelIn<long> input, ChannelOut<long> output)
    {
        while (true)
        {
            await output.WriteAsync(await input.ReadAsync());
        }
    }

    /// <summary>Bounces a value <paramref name="n"/> times off an echo after <paramref name="warmUp"/> untimed rounds; poisons; returns seconds.</summary>
    [CspProcess]
    public static async Task<double> Pinger(ChannelOut<long> output, ChannelIn<long> input, int n, int warmUp)
    {
        for (int i = 0; i < warmUp; i++)
        {
            await output.WriteAsync(i);
            await input.ReadAsync();
        }

        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            await output.WriteAsync(i);
            await input.ReadAsync();
        }

        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        output.Poison();
        return seconds;
    }
    /// <summary>Computes for <paramref name="microseconds"/> before each of its <paramref name="n"/> writes (a producer making its next value).</summary>
    [CspProcess]
    public static async Task Source(ChannelOut<long> output, int n, int microseconds)
    {
        for (int i = 0; i < n; i++)
        {
            Compute(microseconds);
            await output.WriteAsync(i);
        }
    }

    /// <summary>Computes for <paramref name="microseconds"/> on each value it reads, then passes it on.</summary>
    [CspProcess]
    public static async Task Stage(ChannelIn<long> input, ChannelOut<long> output, int microseconds)
    {
        await foreach (long v in input)
        {
            Compute(microseconds);
            await output.WriteAsync(v);
        }
    }

    /// <summary>Counts what it reads until the writers retire.</summary>
    [CspProcess]
    public static async Task<long> Sink(ChannelIn<long> input)
    {
        long count = 0;
        await foreach (long v in input)
        {
            count++;
        }

        return count;
    }

    private static void Compute(int microseconds)
    {
        long until = Stopwatch.GetTimestamp() + (microseconds * Stopwatch.Frequency / 1_000_000);
        while (Stopwatch.GetTimestamp() < until)
        {
            System.Threading.Thread.SpinWait(10);
        }
    }
}
