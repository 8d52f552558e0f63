using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// csp_commstime and csp_pingpong (issue 15), beside ../shared/baselines/python/csp_commstime.py: CommsTime
/// (prefix → delta → successor, delta also feeding the consumer; one operation = one communication, the
/// consumer's reads × 4) in one process, with one member in its own OS process, and on .NET's capacity-0
/// <c>System.Threading.Channels</c> network; an unbuffered ping-pong in one process and across two; Go's
/// CommsTime when <c>go</c> is installed.
/// </summary>
public static partial class PeerSuite
{
    private static void CspBenches()
    {
        const int Reps = 3;
        int n = s_quick ? 2_000 : 20_000;
        int nCross = s_quick ? 500 : 5_000;
        int warmUp = s_quick ? 20_000 : 200_000; // untimed cycles before each kind of run: see below

        // Steady state, as for every peer (Python has no compiler to wait for, Go compiles ahead): the runtime compiles
        // by tiers (tier 0, then instrumented, then optimized with the profile, each after 30 calls and a 100 ms quiet
        // period), which takes a second or more of traffic on two cores; a timed run before it ends measures the
        // compiler, not the channels (csp-probe in, 4,000 and 400,000 untimed cycles: 0.86-0.93 against 0.36-0.44 µs;
        // csp-probe cross, 4,000 and 200,000: 2.4-2.9 against 0.9-1.2 µs). .NET's channel network gets the same warm-up.
        _ = CommsTime(warmUp, successorInOsProcess: false);
        double[] samples = new double[Reps];
        for (int r = 0; r < Reps; r++)
        {
            samples[r] = CommsTime(n, successorInOsProcess: false) / (4.0 * n);
        }

        Report.Emit("csp_commstime", "csharp-parallelkit", "in_process", 4 * n, samples, "batch");

        _ = DotNetChannelCommsTime(warmUp);
        for (int r = 0; r < Reps; r++)
        {
            samples[r] = DotNetChannelCommsTime(n) / (4.0 * n);
        }

        Report.Emit("csp_commstime", "csharp-dotnet-channel-capacity0", "in_process", 4 * n, samples, "batch");

        // Across processes: the timed runs are consecutive segments of one network after its long warm-up, so that
        // the member in its own OS process, a fresh process, has reached its steady state too (a fresh network per
        // run with a 5,000-cycle warm-up measured that process's compiler on some hosts: 3.8-4.9 against 1.3-1.7 µs).
        double[] segments = CommsTimeSegments(n, warmUp, Reps);
        for (int r = 0; r < Reps; r++)
        {
            samples[r] = segments[r] / (4.0 * n);
        }

        Report.Emit("csp_commstime", "csharp-parallelkit", "one_member_os_process", 4 * n, samples, "batch");

        _ = PingPong(2 * warmUp, echoInOsProcess: false);
        for (int r = 0; r < Reps; r++)
        {
            samples[r] = PingPong(n, echoInOsProcess: false) / (2.0 * n);
        }

        Report.Emit("csp_pingpong", "csharp-parallelkit", "in_process", 2 * n, samples, "batch");

        _ = PingPong(nCross, echoInOsProcess: true, warmUp: 2 * warmUp);
        for (int r = 0; r < Reps; r++)
        {
            samples[r] = PingPong(nCross, echoInOsProcess: true, warmUp: nCross) / (2.0 * nCross);
        }

        Report.Emit("csp_pingpong", "csharp-parallelkit", "processes", 2 * nCross, samples, "batch");
        GoCommsTime(n);
    }

    /// <summary>
    /// <c>csp-probe in|cross|shared [cycles] [warm-up reads]</c> (or <c>pipeline</c>, see <see cref="RunPipelineProbe"/>): a warm-up and one CommsTime run (in process, with the successor in its own OS
    /// process, or in process with every channel moved to shared memory: what the shared path costs without a
    /// crossing), printing µs per communication; nothing else runs, so <c>perf stat -e context-switches,syscalls:sys_enter_futex</c>
    /// around it counts the wake-ups of that network (divide by 4 × cycles, less the warm-up's share).
    /// </summary>
    /// <param name="args"><c>in</c>, <c>cross</c> or <c>shared</c>, then the number of timed cycles (default 20,000) and of untimed reads before them (default a fifth of that).</param>
    /// <returns>The exit code.</returns>
    public static int RunCspProbe(string[] args)
    {
        if (args.Length > 0 && args[0] == "pipeline")
        {
            return RunPipelineProbe(args);
        }

        bool cross = args.Length > 0 && args[0] == "cross";
        bool shared = args.Length > 0 && args[0] == "shared";
        int n = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        _ = CommsTime(200, cross, inSharedMemory: shared);
        long items = System.Threading.ThreadPool.CompletedWorkItemCount;
        int warm = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : -1;
        double seconds = CommsTime(n, cross, warm, shared);
        items = System.Threading.ThreadPool.CompletedWorkItemCount - items;
        string variant = cross ? "one_member_os_process" : shared ? "in_process_shared_memory" : "in_process";
        Console.WriteLine(FormattableString.Invariant(
            $"csp-probe {variant}: {n} cycles, {seconds * 1e6 / (4.0 * n):F3} µs per communication, {items / (4.0 * n):F3} thread-pool items per communication (this process)"));
        return 0;
    }

    /// <summary>
    /// <c>csp-probe pipeline [values] [µs]</c>: a source and two stages that each compute that long per value, and a
    /// sink; prints the run's milliseconds beside the serial and the two-core ideal (what hand-offs may cost a network
    /// whose processes compute between communications).
    /// </summary>
    private static int RunPipelineProbe(string[] args)
    {
        int n = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2_000;
        int work = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50;
        double Once(int values)
        {
            var a = CspChannel.Create<long>();
            var b = CspChannel.Create<long>();
            var c = CspChannel.Create<long>();
            long started = Stopwatch.GetTimestamp();
            object?[] results = Csp.Parallel(
                CspBenchProcesses.Processes.Source(a.Writer(), values, work),
                CspBenchProcesses.Processes.Stage(a.Reader(), b.Writer(), work),
                CspBenchProcesses.Processes.Stage(b.Reader(), c.Writer(), work),
                CspBenchProcesses.Processes.Sink(c.Reader())).GetAwaiter().GetResult();
            if ((long)results[3]! != values)
            {
                throw new InvalidOperationException("the pipeline lost values");
            }

            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        _ = Once(Math.Min(n, 200));
        double ms = Once(n);
        Console.WriteLine(FormattableString.Invariant(
            $"csp-probe pipeline: {n} values, 3 processes computing {work} µs each per value: {ms:F0} ms (serial {3.0 * n * work / 1000:F0} ms, ideal on {Environment.ProcessorCount} cores {3.0 * n * work / 1000 / Math.Min(3, Environment.ProcessorCount):F0} ms)"));
        return 0;
    }

    /// <summary>One CommsTime run of <paramref name="n"/> timed reads after <paramref name="warmUp"/> untimed ones (default n / 5: the warm-up of a fresh OS process member), its channels in shared memory from the start if <paramref name="inSharedMemory"/>; seconds.</summary>
    private static double CommsTime(int n, bool successorInOsProcess, int warmUp = -1, bool inSharedMemory = false)
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        var c = CspChannel.Create<long>();
        var d = CspChannel.Create<long>();
        if (inSharedMemory)
        {
            foreach (CspChannel channel in new CspChannel[] { a, b, c, d })
            {
                // What giving an end to .InOsProcess() does (internal: the probe only, not the benchmarks).
                channel.GetType().GetMethod("Promote", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.Invoke(channel, null);
            }
        }
        CspProcessCall consumer = CspBenchProcesses.Processes.Consumer(b.Reader(), n, warmUp < 0 ? n / 5 : warmUp);
        return (double)RunCommsTime(a, b, c, d, successorInOsProcess, consumer)!;
    }

    /// <summary>CommsTime with the successor in its own OS process: <paramref name="segments"/> timed runs of <paramref name="n"/> reads, one after another in one network, after <paramref name="warmUp"/> untimed ones; each run's seconds.</summary>
    private static double[] CommsTimeSegments(int n, int warmUp, int segments)
    {
        var b = CspChannel.Create<long>();
        CspProcessCall consumer = CspBenchProcesses.Processes.ConsumerSegments(b.Reader(), n, warmUp, segments);
        return (double[])RunCommsTime(CspChannel.Create<long>(), b, CspChannel.Create<long>(), CspChannel.Create<long>(), successorInOsProcess: true, consumer)!;
    }

    /// <summary>Runs the CommsTime ring over channels <paramref name="a"/>–<paramref name="d"/> with <paramref name="consumer"/> reading <paramref name="b"/>; the consumer's result.</summary>
    private static object? RunCommsTime(CspChannel<long> a, CspChannel<long> b, CspChannel<long> c, CspChannel<long> d, bool successorInOsProcess, CspProcessCall consumer)
    {
        CspProcessCall successor = CspBenchProcesses.Processes.Successor(d.Reader(), c.Writer());
        object?[] results = Csp.Parallel(
            CspBenchProcesses.Processes.Prefix(c.Reader(), a.Writer(), 0),
            CspBenchProcesses.Processes.Delta(a.Reader(), b.Writer(), d.Writer()),
            successorInOsProcess ? successor.InOsProcess() : successor,
            consumer).GetAwaiter().GetResult();
        return results[3];
    }

    /// <summary>The same network on <c>System.Threading.Channels</c> bounded channels of capacity 0 (a rendezvous in .NET 10), async tasks; seconds.</summary>
    private static double DotNetChannelCommsTime(int n)
    {
        static Channel<long> Rendezvous() => Channel.CreateBounded<long>(new BoundedChannelOptions(0) { SingleReader = true, SingleWriter = true });
        Channel<long> a = Rendezvous(), b = Rendezvous(), c = Rendezvous(), d = Rendezvous();
        using var stop = new System.Threading.CancellationTokenSource();
        System.Threading.CancellationToken token = stop.Token;
        Task prefix = Task.Run(async () =>
        {
            await a.Writer.WriteAsync(0, token);
            while (true)
            {
                await a.Writer.WriteAsync(await c.Reader.ReadAsync(token), token);
            }
        }, token);
        Task delta = Task.Run(async () =>
        {
            while (true)
            {
                long v = await a.Reader.ReadAsync(token);
                await b.Writer.WriteAsync(v, token);
                await d.Writer.WriteAsync(v, token);
            }
        }, token);
        Task successor = Task.Run(async () =>
        {
            while (true)
            {
                await c.Writer.WriteAsync(await d.Reader.ReadAsync(token) + 1, token);
            }
        }, token);
        double seconds = Task.Run(async () =>
        {
            long expected = await b.Reader.ReadAsync(token) + 1;
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                if (await b.Reader.ReadAsync(token) != expected++)
                {
                    throw new InvalidOperationException("CommsTime on System.Threading.Channels read out of order");
                }
            }

            return Stopwatch.GetElapsedTime(started).TotalSeconds;
        }).GetAwaiter().GetResult();
        stop.Cancel();
        try
        {
            Task.WaitAll(prefix, delta, successor);
        }
        catch (AggregateException)
        {
            // Cancelled: the network's way of ending here.
        }

        return seconds;
    }

    /// <summary>One ping-pong run of <paramref name="n"/> timed round trips; seconds.</summary>
    private static double PingPong(int n, bool echoInOsProcess, int warmUp = 100)
    {
        var there = CspChannel.Create<long>();
        var back = CspChannel.Create<long>();
        CspProcessCall echo = CspBenchProcesses.Processes.Echo(there.Reader(), back.Writer());
        object?[] results = Csp.Parallel(
            CspBenchProcesses.Processes.Pinger(there.Writer(), back.Reader(), n, warmUp),
            echoInOsProcess ? echo.InOsProcess() : echo).GetAwaiter().GetResult();
        return (double)results[0]!;
    }

    /// <summary>Runs Go/commstime.go (goroutines and unbuffered channels) when <c>go</c> is on the PATH, relaying its JSON line.</summary>
    private static void GoCommsTime(int n)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Go", "commstime.go");
        var start = new ProcessStartInfo("go") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("run");
        start.ArgumentList.Add(source);
        start.ArgumentList.Add(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using Process go = Process.Start(start)!;
            string output = go.StandardOutput.ReadToEnd();
            string error = go.StandardError.ReadToEnd();
            go.WaitForExit();
            if (go.ExitCode != 0)
            {
                Report.Log($"csp_commstime go: skipped: 'go run' failed with exit code {go.ExitCode}: {error.Trim()}");
                return;
            }

            Console.Out.Write(output);
            Console.Out.Flush();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Report.Log($"csp_commstime go: skipped: no 'go' on the PATH ({e.Message}); install golang-go to compare with Go's goroutines and channels");
        }
    }
}
