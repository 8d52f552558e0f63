using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.CspTests;

/// <summary>The processes the tests build networks from.</summary>
public static partial class Net
{
    [CspProcess]
    public static async Task Producer(ChannelOut<long> output, long from, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await output.WriteAsync(from + i);
        }
    }

    /// <summary>Set by <see cref="SignalThenCollect"/> once it runs.</summary>
    public static readonly ManualResetEventSlim CollectorStarted = new();

    /// <summary>Blocks its thread before its first wait until <see cref="SignalThenCollect"/> runs (at most 10 s); whether it did.</summary>
    [CspProcess]
    public static async Task<bool> BlockBeforeFirstWait()
    {
        bool seen = CollectorStarted.Wait(TimeSpan.FromSeconds(10));
        await Task.Yield();
        return seen;
    }

    [CspProcess]
    public static async Task<List<long>> SignalThenCollect(ChannelIn<long> input)
    {
        CollectorStarted.Set();
        return await Collect(input);
    }

    /// <summary>What <see cref="WaitForFileThenWrite"/> computed (kept, so the computing is not optimized away).</summary>
    internal static long SpinSink;

    /// <summary>
    /// Before its first channel operation, waits up to 5 s for <paramref name="path"/> to exist (made by
    /// <see cref="MakeFileThenRead"/>), sleeping or, if <paramref name="compute"/>, computing; then writes whether it did.
    /// </summary>
    [CspProcess]
    public static void WaitForFileThenWrite(ChannelOut<long> output, string path, bool compute)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool seen = false;
        long spins = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(5) && !(seen = System.IO.File.Exists(path)))
        {
            if (compute)
            {
                for (int i = 0; i < 100_000; i++)
                {
                    spins += i ^ (spins >> 3);
                }
            }
            else
            {
                Thread.Sleep(5);
            }
        }

        SpinSink = spins;
        output.Write(seen ? 1 : 0);
    }

    /// <summary>Makes <paramref name="path"/>, then reads one value.</summary>
    [CspProcess]
    public static async Task<long> MakeFileThenRead(ChannelIn<long> input, string path)
    {
        await System.IO.File.WriteAllTextAsync(path, "started");
        return await input.ReadAsync();
    }

    [CspProcess]
    public static void BlockingProducer(ChannelOut<long> output, long from, int count)
    {
        for (int i = 0; i < count; i++)
        {
            output.Write(from + i);
        }
    }

    [CspProcess]
    public static async Task Succ(ChannelIn<long> input, ChannelOut<long> output)
    {
        await foreach (long v in input)
        {
            await output.WriteAsync(v + 1);
        }
    }

    [CspProcess]
    public static async Task<List<long>> Collect(ChannelIn<long> input)
    {
        var all = new List<long>();
        await foreach (long v in input)
        {
            all.Add(v);
        }

        return all;
    }

    [CspProcess]
    public static long Sum(ChannelIn<long> input)
    {
        long sum = 0;
        while (true)
        {
            try
            {
                sum += input.Read();
            }
            catch (ChannelRetiredException)
            {
                return sum;
            }
        }
    }

    [CspProcess]
    public static async Task<long> SumAll(ChannelIn<long>[] inputs)
    {
        long sum = 0;
        var alt = new Alternation([.. Array.ConvertAll(inputs, i => (Guard)i.Guard())]);
        int open = inputs.Length;
        while (open > 0)
        {
            try
            {
                Choice chosen = await alt.FairSelectAsync();
                sum += chosen.ValueAs<long>();
            }
            catch (ChannelRetiredException)
            {
                foreach (Guard g in alt.Guards)
                {
                    if (((InputGuard<long>)g).End.IsRetired is false && g.Enabled)
                    {
                        g.Enabled = false;
                        open--;
                        break;
                    }
                }
            }
        }

        return sum;
    }

    /// <summary>Reads one value, then blocks its thread outside any channel; returns when the block began (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    [CspProcess]
    public static async Task<long> ReadThenBlock(ChannelIn<long> input, int milliseconds)
    {
        await input.ReadAsync();
        long began = System.Diagnostics.Stopwatch.GetTimestamp();
        Thread.Sleep(milliseconds);
        return began;
    }

    /// <summary>Reads one value; returns when it came (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    [CspProcess]
    public static async Task<long> ReadWhen(ChannelIn<long> input)
    {
        await input.ReadAsync();
        return System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>Writes one value to each output in turn, each <paramref name="milliseconds"/> after the last (its readers park meanwhile).</summary>
    [CspProcess]
    public static async Task WriteEachAfter(ChannelOut<long>[] outputs, int milliseconds)
    {
        foreach (ChannelOut<long> output in outputs)
        {
            await Task.Delay(milliseconds);
            await output.WriteAsync(1);
        }
    }

    [CspProcess]
    public static async Task Fail(ChannelIn<long> input, string message)
    {
        await input.ReadAsync();
        throw new InvalidOperationException(message);
    }

    [CspProcess]
    public static async Task ReadForever(ChannelIn<long> input)
    {
        while (true)
        {
            await input.ReadAsync();
        }
    }

    [CspProcess]
    public static async Task PoisonAfter(ChannelOut<long> output, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await output.WriteAsync(i);
        }

        output.Poison();
    }

    [CspProcess]
    public static async Task<int> Pid(ChannelOut<long> output)
    {
        await output.WriteAsync(Environment.ProcessId);
        return Environment.ProcessId;
    }

    /// <summary>Sends its pid; returns an environment variable as the process sees it and as it was started with ("-" for unset), <c>now|initial</c>.</summary>
    [CspProcess]
    public static async Task<string> Variable(ChannelOut<long> output, string name)
    {
        await output.WriteAsync(Environment.ProcessId);
        string initial = "-";
        foreach (string entry in System.IO.File.ReadAllText("/proc/self/environ").Split('\0'))
        {
            if (entry.StartsWith(name + "=", StringComparison.Ordinal))
            {
                initial = entry[(name.Length + 1)..];
            }
        }

        return (Environment.GetEnvironmentVariable(name) ?? "-") + "|" + initial;
    }

    [CspProcess]
    public static async Task WaitForCancel(CancellationToken cancellationToken)
        => await Task.Delay(Timeout.Infinite, cancellationToken);

    [CspProcess]
    public static async Task Spawner(ChannelOut<long> output, ChannelOut<long> spawnedOutput)
    {
        _ = Csp.Spawn(Processes.Producer(spawnedOutput, 100, 3));
        await output.WriteAsync(1);
    }

    [CspProcess(Propagate = false)]
    public static async Task Quiet(ChannelIn<long> input) => await input.ReadAsync();

    [CspProcess]
    public static async Task Die(ChannelIn<long> input)
    {
        await input.ReadAsync();
        Environment.Exit(3);
    }

    [CspProcess]
    public static async Task<int[]> FairCounts(ChannelIn<long> a, ChannelIn<long> b, int selections, int warmUps)
    {
        // Values from each first (warmUps of them): both writers are running, and have met the reader, before the
        // counted selections. With none, the counted selections start with the network.
        var alt = new Alternation(a.Guard(), b.Guard());
        for (int i = 0; i < warmUps; i++)
        {
            await a.ReadAsync();
            await b.ReadAsync();
        }

        int[] counts = new int[2];
        for (int i = 0; i < selections; i++)
        {
            counts[(await alt.FairSelectAsync()).Index]++;
        }

        a.Poison();
        b.Poison();
        return counts;
    }

    /// <summary>Writes for ever, and after every <paramref name="every"/>th write is off the core for <paramref name="milliseconds"/> (as a busy host preempts it) before it offers again.</summary>
    [CspProcess]
    public static async Task WriteForeverStalling(ChannelOut<long> output, int every, int milliseconds)
    {
        for (long i = 1; ; i++)
        {
            await output.WriteAsync(i);
            if (i % every == 0)
            {
                Thread.Sleep(milliseconds);
            }
        }
    }

    /// <summary><see cref="FairCounts"/> with blocking reads and a blocking <see cref="Alternation.FairSelect"/>.</summary>
    [CspProcess]
    public static int[] FairCountsBlocking(ChannelIn<long> a, ChannelIn<long> b, int selections, int warmUps)
    {
        var alt = new Alternation(a.Guard(), b.Guard());
        for (int i = 0; i < warmUps; i++)
        {
            a.Read();
            b.Read();
        }

        int[] counts = new int[2];
        for (int i = 0; i < selections; i++)
        {
            counts[alt.FairSelect().Index]++;
        }

        a.Poison();
        b.Poison();
        return counts;
    }

    [CspProcess]
    public static async Task ReadPlain(ChannelIn<PlainBox> input) => await input.ReadAsync();

    [CspProcess]
    public static async Task WritePlain(ChannelOut<PlainBox> output) => await output.WriteAsync(new PlainBox { Value = 1 });

    [CspProcess]
    public static async Task<int[]> FairOffers(ChannelOut<long> a, ChannelOut<long> b, int selections)
    {
        // Values to each first: both readers are running, and have met the writer, before the counted selections.
        var alt = new Alternation(a.Guard(1), b.Guard(2));
        for (int i = 0; i < 10; i++)
        {
            await a.WriteAsync(0);
            await b.WriteAsync(0);
        }

        int[] counts = new int[2];
        for (int i = 0; i < selections; i++)
        {
            counts[(await alt.FairSelectAsync()).Index]++;
        }

        a.Poison();
        b.Poison();
        return counts;
    }

    [CspProcess]
    public static async Task AltEcho(ChannelIn<long> a, ChannelIn<long> b, ChannelOut<long> output, int count)
    {
        // Each input brings count / 2 values and is then retired by its producer. A guard is disabled once its share
        // has come: an Alternation over a retired end throws (as PyCSP's does), and which producer finishes first is
        // up to the scheduler.
        var fromA = a.Guard();
        var fromB = b.Guard();
        var alt = new Alternation(fromA, fromB);
        int[] received = new int[2];
        for (int i = 0; i < count; i++)
        {
            fromA.Enabled = received[0] < count / 2;
            fromB.Enabled = received[1] < count / 2;
            Choice chosen = await alt.FairSelectAsync();
            received[chosen.Index]++;
            await output.WriteAsync((chosen.Index * 1000) + chosen.ValueAs<long>());
        }
    }

    [CspProcess]
    public static async Task PidThenReadForever(ChannelOut<long> pid, ChannelIn<long> input)
    {
        await pid.WriteAsync(Environment.ProcessId);
        while (true)
        {
            await input.ReadAsync();
        }
    }

    [CspProcess]
    public static async Task KillWhenPid(ChannelIn<long> pids)
    {
        long pid = await pids.ReadAsync();
        using var victim = System.Diagnostics.Process.GetProcessById((int)pid);
        victim.Kill();
    }

    [CspProcess]
    public static async Task WriteForever(ChannelOut<long> output)
    {
        for (long i = 0; ; i++)
        {
            await output.WriteAsync(i);
        }
    }

    /// <summary><see cref="WriteForever"/> with a blocking write: a thread of its own that each write parks.</summary>
    [CspProcess]
    public static void WriteForeverBlocking(ChannelOut<long> output)
    {
        for (long i = 0; ; i++)
        {
            output.Write(i);
        }
    }

    /// <summary>Sleeps <paramref name="milliseconds"/> (a process slow to start), then writes for ever, blocking its thread.</summary>
    [CspProcess]
    public static void SleepThenWriteForeverBlocking(ChannelOut<long> output, int milliseconds)
    {
        Thread.Sleep(milliseconds);
        WriteForeverBlocking(output);
    }

    /// <summary>Holds <paramref name="unused"/> without ever writing to it (a quit signal never sent) until a value comes on <paramref name="stop"/>.</summary>
    [CspProcess]
    public static async Task HoldUnused(ChannelOut<long> unused, ChannelIn<long> stop)
    {
        GC.KeepAlive(unused);
        await stop.ReadAsync();
    }

    /// <summary>Set by <see cref="FairBesideUnused"/> when it is done: <see cref="HoldUnusedUntilReleased"/> then ends.</summary>
    public static readonly ManualResetEventSlim UnusedReleased = new();

    /// <summary>Holds <paramref name="unused"/> and uses no channel at all (it waits for something else, first) until <see cref="UnusedReleased"/> is set (at most 60 s).</summary>
    [CspProcess]
    public static void HoldUnusedUntilReleased(ChannelOut<long> unused)
    {
        GC.KeepAlive(unused);
        UnusedReleased.Wait(TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Makes <paramref name="selections"/> fair selections between <paramref name="data"/> and <paramref name="quit"/>
    /// with one alternation, then as many with a new one; returns how many chose each guard (data, quit) and how many
    /// waits for a starting peer each alternation ended in vain (internal: read by reflection). Then stops the holder.
    /// </summary>
    [CspProcess]
    public static async Task<int[]> FairBesideUnused(ChannelIn<long> data, ChannelIn<long> quit, ChannelOut<long> stop, int selections)
    {
        int[] counts = new int[4];
        for (int round = 0; round < 2; round++)
        {
            var alt = new Alternation(data.Guard(), quit.Guard());
            for (int i = 0; i < selections; i++)
            {
                counts[(await alt.FairSelectAsync()).Index]++;
            }

            counts[2 + round] = (int)typeof(Alternation).GetField("StartWaitsTimedOut", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(alt)!;
        }

        UnusedReleased.Set();
        await stop.WriteAsync(1);
        return counts;
    }

    /// <summary>Writes a value every <paramref name="milliseconds"/>, for ever.</summary>
    [CspProcess]
    public static void WriteEvery(ChannelOut<long> output, int milliseconds)
    {
        for (long i = 0; ; i++)
        {
            Thread.Sleep(milliseconds);
            output.Write(i);
        }
    }

    /// <summary>
    /// Selects fairly between <paramref name="a"/> and <paramref name="b"/> until <paramref name="fromA"/> values came
    /// from <paramref name="a"/>; returns how many came from each, how many selections took
    /// <paramref name="milliseconds"/> or longer, and how many of its waits for a steady writer ended with the writer
    /// not back (internal: read by reflection).
    /// </summary>
    [CspProcess]
    public static async Task<int[]> FairGaps(ChannelIn<long> a, ChannelIn<long> b, int fromA, int milliseconds)
    {
        var alt = new Alternation(a.Guard(), b.Guard());
        int[] counts = new int[4];
        long last = System.Diagnostics.Stopwatch.GetTimestamp();
        while (counts[0] < fromA)
        {
            counts[(await alt.FairSelectAsync()).Index]++;
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (System.Diagnostics.Stopwatch.GetElapsedTime(last, now).TotalMilliseconds >= milliseconds)
            {
                counts[2]++;
            }

            last = now;
        }

        counts[3] = (int)typeof(Alternation).GetField("SteadyWaitsTimedOut", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(alt)!;
        a.Poison();
        b.Poison();
        return counts;
    }

    /// <summary><see cref="ReadForever"/> with a blocking read.</summary>
    [CspProcess]
    public static void ReadForeverBlocking(ChannelIn<long> input)
    {
        while (true)
        {
            input.Read();
        }
    }

    [CspProcess]
    public static async Task<int> ReadOnce(ChannelIn<long> input)
    {
        await input.ReadAsync();
        return 1;
    }

    [CspProcess]
    public static async Task<int> OfferUntilTaken(ChannelOut<long> output, ChannelIn<long> idle, long value)
    {
        var alt = new Alternation(idle.Guard(), output.Guard(value));
        return (await alt.SelectAsync()).Index;
    }

    [CspProcess]
    public static void Deadlocked(ChannelIn<long> input, ChannelOut<long> output)
    {
        output.Write(input.Read());
    }

    [CspProcess]
    public static void BlockingSucc(ChannelIn<long> input, ChannelOut<long> output)
    {
        while (true)
        {
            output.Write(input.Read() + 1);
        }
    }

    [CspProcess]
    public static async Task PidThenWriteForever(ChannelOut<long> pid, ChannelOut<long> output)
    {
        await pid.WriteAsync(Environment.ProcessId);
        for (long i = 0; ; i++)
        {
            await output.WriteAsync(i);
        }
    }

    [CspProcess]
    public static async Task<int> ReadThenPoison(ChannelIn<long> input, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await input.ReadAsync();
        }

        input.Poison();
        return count;
    }

    [CspProcess]
    public static async Task EchoText(ChannelIn<string> input, ChannelOut<string> output)
    {
        await foreach (string text in input)
        {
            await output.WriteAsync(text + "!");
        }
    }

    [CspProcess]
    public static async Task SendTexts(ChannelOut<string> output, string[] texts)
    {
        foreach (string text in texts)
        {
            await output.WriteAsync(text);
        }
    }

    [CspProcess]
    public static async Task<List<string>> CollectTexts(ChannelIn<string> input)
    {
        var all = new List<string>();
        await foreach (string text in input)
        {
            all.Add(text);
        }

        return all;
    }

    [CspProcess]
    public static async Task<List<long>> AltCollect(ChannelIn<long> input, ChannelIn<long> idle)
    {
        // The idle guard is never ready: every value comes through the input guard, and a value another reader
        // took is never seen here too.
        var all = new List<long>();
        var alt = new Alternation(idle.Guard(), input.Guard());
        while (true)
        {
            try
            {
                all.Add((await alt.PriSelectAsync()).ValueAs<long>());
            }
            catch (ChannelRetiredException)
            {
                return all;
            }
        }
    }

    [CspProcess]
    public static async Task<int> OfferEach(ChannelOut<long> output, ChannelIn<long> idle, int count)
    {
        var offer = output.Guard(0);
        var alt = new Alternation(idle.Guard(), offer);
        for (int i = 0; i < count; i++)
        {
            offer.Value = i;
            if ((await alt.FairSelectAsync()).Guard != offer)
            {
                throw new InvalidOperationException("The idle guard was chosen, but nothing writes to it.");
            }
        }

        return count;
    }

    [CspProcess]
    public static async Task<long> SpawnReadThenWait()
    {
        var c = CspChannel.Create<long>();
        Task spawned = Csp.Spawn(Processes.WriteThenRetire(c.Writer(), 5));
        long value = await c.Reader().ReadAsync(); // woken by the spawned process's start
        spawned.Wait(); // blocks this process's thread until the spawned process has ended
        return value;
    }

    [CspProcess]
    public static async Task WriteThenRetire(ChannelOut<long> output, long value)
    {
        await output.WriteAsync(value);
        output.Retire();
    }

    [CspProcess]
    public static async Task SlowProducer(ChannelOut<long> output, long from, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Delay(2);
            await output.WriteAsync(from + i);
        }
    }

    [CspProcess]
    public static int BlockingSelectWithTimeout(ChannelIn<long> input, ChannelOut<long> output)
    {
        // First a value comes (the input guard), then nothing more (the timeout); the value is echoed after.
        var alt = new Alternation(input.Guard(), Guard.Timeout(TimeSpan.FromMilliseconds(50)));
        Choice first = alt.PriSelect();
        Choice second = alt.PriSelect();
        output.Write(first.ValueAs<long>());
        return (first.Index * 10) + second.Index;
    }

    [CspProcess]
    public static async Task JitterProducers(ChannelOut<long>[] outputs, int count)
    {
        // Each output gets count values, each after a random pause of up to 1.5 ms: about the 1 ms timeout of
        // TimeoutCollect, so that writers and timeout timers race.
        var writers = new Task[outputs.Length];
        for (int k = 0; k < outputs.Length; k++)
        {
            writers[k] = JitterWrite(outputs[k], count, k);
        }

        await Task.WhenAll(writers);
    }

    private static async Task JitterWrite(ChannelOut<long> output, int count, int seed)
    {
        await Task.Yield();
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + (random.Next(1500) * System.Diagnostics.Stopwatch.Frequency / 1_000_000);
            while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(20);
            }

            await output.WriteAsync(i);
        }
    }

    [CspProcess]
    public static async Task<List<long>> TimeoutCollect(ChannelIn<long> input)
    {
        // A selection that times out is simply tried again; any other outcome than a value or the retire fails.
        var all = new List<long>();
        var fromInput = input.Guard();
        var alt = new Alternation(fromInput, Guard.Timeout(TimeSpan.FromMilliseconds(1)));
        while (true)
        {
            try
            {
                Choice chosen = await alt.PriSelectAsync();
                if (chosen.Guard == fromInput)
                {
                    all.Add(chosen.ValueAs<long>());
                }
            }
            catch (ChannelRetiredException)
            {
                return all;
            }
        }
    }

    [CspProcess]
    public static async Task SendBlocks(ChannelOut<byte[]> output, byte fill, int count, int size)
    {
        for (int i = 0; i < count; i++)
        {
            byte[] block = new byte[size];
            Array.Fill(block, fill);
            await output.WriteAsync(block);
        }

        output.Retire();
    }

    /// <summary>Reads <paramref name="count"/> values, 100 ms apart (the writer fills the buffer meanwhile), then throws.</summary>
    [CspProcess]
    public static async Task ReadBlocksThenFail(ChannelIn<byte[]> input, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await input.ReadAsync();
            await Task.Delay(100);
        }

        throw new InvalidOperationException("the reader failed");
    }

    /// <summary>After <paramref name="delayMilliseconds"/> (the writers fill the channel meanwhile), the sum of each value's bytes until the input retires.</summary>
    [CspProcess]
    public static async Task<List<long>> SumBlocksLater(ChannelIn<byte[]> input, int delayMilliseconds)
    {
        await Task.Delay(delayMilliseconds);
        var sums = new List<long>();
        await foreach (byte[] block in input)
        {
            long sum = 0;
            foreach (byte b in block)
            {
                sum += b;
            }

            sums.Add(sum);
        }

        return sums;
    }

    [CspProcess]
    public static async Task<string> OfferThenFailToSerialize(ChannelOut<byte[]> a, ChannelOut<FailsWhenSerializedTwice> b, ChannelOut<long> go)
    {
        // Both guards pass the ready check (each value serialized once), a's offer is left, then b's value fails to
        // serialize: the alternation fails while it leaves its offers, and a's must not stay.
        var alt = new Alternation(a.Guard(new byte[10]), b.Guard(new FailsWhenSerializedTwice()));
        string message;
        try
        {
            await alt.PriSelectAsync();
            return "a guard was chosen";
        }
        catch (InvalidOperationException e)
        {
            message = e.Message;
        }

        await go.WriteAsync(1);
        await a.WriteAsync([1, 2, 3]);
        a.Retire();
        b.Retire();
        return message;
    }

    [CspProcess]
    public static async Task<List<int>> LengthsAfterGo(ChannelIn<long> go, ChannelIn<byte[]> a, ChannelIn<FailsWhenSerializedTwice> b)
    {
        // Reads a until it retires, then b: lengths from a, -1 for each value from b.
        await go.ReadAsync();
        var lengths = new List<int>();
        await foreach (byte[] value in a)
        {
            lengths.Add(value.Length);
        }

        await foreach (FailsWhenSerializedTwice value in b)
        {
            lengths.Add(-1);
        }

        return lengths;
    }
    [CspProcess]
    public static async Task Prefix(ChannelIn<long> input, ChannelOut<long> output, long first)
    {
        await output.WriteAsync(first);
        while (true)
        {
            await output.WriteAsync(await input.ReadAsync());
        }
    }

    [CspProcess]
    public static async Task Delta(ChannelIn<long> input, ChannelOut<long> first, ChannelOut<long> second)
    {
        while (true)
        {
            long v = await input.ReadAsync();
            await first.WriteAsync(v);
            await second.WriteAsync(v);
        }
    }

    /// <summary>Reads <paramref name="count"/> values that must count up by one (CommsTime's consumer); poisons; returns how many did.</summary>
    [CspProcess]
    public static async Task<int> ReadCountingUp(ChannelIn<long> input, int count)
    {
        long expected = await input.ReadAsync();
        int inOrder = 0;
        for (int i = 0; i < count; i++)
        {
            if (await input.ReadAsync() == ++expected)
            {
                inOrder++;
            }
        }

        input.Poison();
        return inOrder;
    }

    /// <summary>A successor that, after <paramref name="after"/> values, sends its pid (to be killed) and goes on.</summary>
    [CspProcess]
    public static async Task SuccThenPid(ChannelIn<long> input, ChannelOut<long> output, ChannelOut<long> pid, int after)
    {
        for (int i = 0; i < after; i++)
        {
            await output.WriteAsync(await input.ReadAsync() + 1);
        }

        await pid.WriteAsync(Environment.ProcessId);
        while (true)
        {
            await output.WriteAsync(await input.ReadAsync() + 1);
        }
    }
}

/// <summary>A value whose second serialization fails (as one whose getter throws may): an alternation's offer of it fails after its ready check passed.</summary>
[MemoryPack.MemoryPackable]
public sealed partial class FailsWhenSerializedTwice
{
    private int _serialized;

    /// <summary>Nothing; reading it a second time throws.</summary>
    public int Value
    {
        get => Interlocked.Increment(ref _serialized) > 1 ? throw new InvalidOperationException("serialized twice") : 0;
        set { }
    }
}

/// <summary>A class MemoryPack cannot marshal (not [MemoryPackable]): fine in one OS process, refused across two.</summary>
public sealed class PlainBox
{
    /// <summary>Anything.</summary>
    public int Value { get; set; }
}
