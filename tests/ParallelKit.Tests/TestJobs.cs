using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;

namespace ParallelKit.Tests;

[MemoryPackable]
public partial record Range(int From, int To);

[MemoryPackable]
public partial record RangeSummary(int From, int To, int Primes, long Sum);

public static partial class TestJobs
{
    private static int s_voidRuns;

    [ParallelJob]
    public static int Add(int a, int b) => a + b;

    [ParallelJob]
    public static int Increment(int x) => x + 1;

    [ParallelJob]
    public static int CurrentProcessId() => Environment.ProcessId;

    [ParallelJob]
    public static string Echo(string text, int times) => string.Concat(System.Linq.Enumerable.Repeat(text, times));

    [ParallelJob]
    public static RangeSummary Summarize(Range range)
    {
        int count = 0;
        long sum = 0;
        for (int n = range.From; n < range.To; n++)
        {
            if (IsPrime(n))
            {
                count++;
                sum += n;
            }
        }

        return new RangeSummary(range.From, range.To, count, sum);
    }

    [ParallelJob]
    public static int CountPrimes(int from, int to)
    {
        int count = 0;
        for (int n = from; n < to; n++)
        {
            if (IsPrime(n))
            {
                count++;
            }
        }

        return count;
    }

    [ParallelJob]
    public static long SumArray(int[] values, List<int> more)
    {
        long sum = 0;
        foreach (int v in values)
        {
            sum += v;
        }

        foreach (int v in more)
        {
            sum += v;
        }

        return sum;
    }

    [ParallelJob]
    public static async Task<int> DoubleLaterAsync(int x)
    {
        await Task.Delay(1);
        return x * 2;
    }

    [ParallelJob]
    public static ValueTask<string> UpperAsync(string text) => new(text.ToUpperInvariant());

    [ParallelJob]
    public static void TouchVoid() => Interlocked.Increment(ref s_voidRuns);

    [ParallelJob]
    public static Task DelayAsync(int milliseconds) => Task.Delay(milliseconds);

    [ParallelJob]
    public static int Throw(string message) => throw new InvalidOperationException(message);

    [ParallelJob]
    public static async Task<int> WaitForCancellationAsync(int seconds, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
        return -1;
    }

    [ParallelJob]
    public static int Sleep(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return Environment.ProcessId;
    }

    [ParallelJob]
    public static int Many(int a, long b, double c, string d, bool e, byte[] f, Guid g, DateTime h, char i, decimal j)
        => a + (int)b + (int)c + d.Length + (e ? 1 : 0) + f.Length + (g == Guid.Empty ? 0 : 1) + h.Day + i + (int)j;

    [ParallelJob]
    public static void Crash(int exitCode) => Environment.Exit(exitCode);

    [ParallelJob]
    public static void FailFast(string message) => Environment.FailFast(message);

    [ParallelJob]
    public static int KillSelfOnce(string markerFile)
    {
        if (!System.IO.File.Exists(markerFile))
        {
            System.IO.File.WriteAllText(markerFile, "x");
            Process.GetCurrentProcess().Kill();
        }

        return Environment.ProcessId;
    }

    [ParallelJob]
    public static byte[] EchoBytes(byte[] data) => data;

    [ParallelJob]
    public static byte[] MakeBytes(int length) => new byte[length];

    [ParallelJob]
    public static string CurrentTraceId() => Activity.Current?.TraceId.ToString() ?? string.Empty;

    [ParallelJob(Retry = false)]
    public static int KillSelfOnceNoRetry(string markerFile) => KillSelfOnce(markerFile);

    [ParallelJob]
    public static void WriteOpenFiles(string path)
    {
        var lines = new List<string>();
        foreach (string fd in System.IO.Directory.GetFiles("/proc/self/fd"))
        {
            string? target = new System.IO.FileInfo(fd).LinkTarget;
            lines.Add($"{System.IO.Path.GetFileName(fd)} {target}");
        }

        System.IO.File.WriteAllLines(path, lines);
    }

    [ParallelJob]
    public static void InitWorker(string value) => s_initializedWith = value + "@" + Environment.ProcessId;

    [ParallelJob]
    public static string? ReadInitialized() => s_initializedWith;

    /// <summary>The variable <paramref name="name"/> in the worker now, and as the worker process started with it ("-" for unset).</summary>
    [ParallelJob]
    public static string ReadVariable(string name)
    {
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

    [ParallelJob]
    public static int Print(string line)
    {
        Console.WriteLine(line);
        return line.Length;
    }

    private static string? s_initializedWith;

    public static int VoidRuns => Volatile.Read(ref s_voidRuns);

    public static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        if (n < 4)
        {
            return true;
        }

        if (n % 2 == 0)
        {
            return false;
        }

        for (int d = 3; d * d <= n; d += 2)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}

public static partial class Outer
{
    public static partial class Inner
    {
        [ParallelJob]
        public static string Where() => nameof(Inner);
    }
}
