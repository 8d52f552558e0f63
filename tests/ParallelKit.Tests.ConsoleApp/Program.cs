using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit;
using ParallelKit.Tests.ConsoleApp;

// Jobs write to the console from worker processes: their lines must reach this process's stdout/stderr.
// With "orphan", the app prints its workers' pids and waits to be killed, for the parent-death test.
// With "skew", it waits for a line on stdin (meanwhile the test replaces the app on disk by another build),
// then tries to run a job on a server and in a ParallelProcess, and prints what happened.
if (args is ["skew"])
{
    Console.WriteLine("ready");
    Console.ReadLine();
    await using (var skewed = JobServer.Start(new JobServerOptions { Workers = 1 }))
    {
        try
        {
            await skewed.Submit(ConsoleJobs.Jobs.Say(1));
            Console.WriteLine("server: the job ran");
        }
        catch (InvalidOperationException ex)
        {
            Console.WriteLine("server: " + ex.Message);
        }
    }

    try
    {
        using var process = ParallelProcess.Start(ConsoleJobs.Jobs.Say(2));
        process.Join();
        Console.WriteLine($"process: exit code {process.ExitCode}");
    }
    catch (InvalidOperationException ex)
    {
        Console.WriteLine("process: " + ex.Message);
    }

    return;
}

// With "threads", jobs that continue on pool threads and fan out with Parallel.For, in a server's worker and in a
// ParallelProcess: this app's workers are served from Program's generated static constructor, and nothing a job
// runs on another thread may wait for that constructor.
if (args is ["threads"])
{
    await using (var threaded = JobServer.Start(new JobServerOptions { Workers = 1, JobTimeout = TimeSpan.FromSeconds(60) }))
    {
        Console.WriteLine($"server: {await threaded.Submit(ConsoleJobs.Jobs.FanOut(1000))}");
    }

    using var fanning = ParallelProcess.Start(ConsoleJobs.Jobs.FanOutAndPrint(1000));
    if (!fanning.Join(TimeSpan.FromSeconds(60)))
    {
        fanning.Kill();
        Console.WriteLine("process: hung");
        return;
    }

    Console.WriteLine($"process: exit code {fanning.ExitCode}");
    return;
}

// With "orphan-streaming", the worker's job returns 16 MiB half a second after this app printed its pid: the test
// stops this app meanwhile (nobody reads the results ring any more) and then kills it. The worker must see its
// parent go, not wait for ever for room in the ring.
if (args is ["orphan-streaming"])
{
    await using var streaming = JobServer.Start(new JobServerOptions { Workers = 1 });
    await streaming.Submit(ConsoleJobs.Jobs.Say(0));
    int worker = streaming.Stats.Workers.Single().ProcessId;
    _ = streaming.Submit(ConsoleJobs.Jobs.BytesLater(16 << 20, 500));
    Console.WriteLine($"worker {worker}");
    Thread.Sleep(Timeout.Infinite);
}

await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
int[] pids = await server.MapAsync(Enumerable.Range(0, 4), i => ConsoleJobs.Jobs.Say(i));
if (args is ["orphan"])
{
    using var child = ParallelProcess.Start(ConsoleJobs.Jobs.Sleep(600_000));

    // Under load the second worker may still be starting (no pid yet) when the map is done: wait for both.
    for (var deadline = DateTime.UtcNow.AddSeconds(30); server.Stats.Workers.Any(w => w.ProcessId <= 0) && DateTime.UtcNow < deadline;)
    {
        Thread.Sleep(10);
    }

    Console.WriteLine($"pids {string.Join(" ", server.Stats.Workers.Select(w => w.ProcessId).Append(child.Pid))}");
    Thread.Sleep(Timeout.Infinite);
}

using (var single = ParallelProcess.Start(ConsoleJobs.Jobs.Say(99)))
{
    single.Join();
}

using (var buffered = ParallelProcess.Start(ConsoleJobs.Jobs.SayBuffered(100)))
{
    buffered.Join();
}

Console.WriteLine($"parent {Environment.ProcessId} done; workers {string.Join(",", pids.Distinct().Where(p => p != Environment.ProcessId).Select(_ => "other"))}");

namespace ParallelKit.Tests.ConsoleApp
{
    /// <summary>Jobs that print, and one that sleeps.</summary>
    public static partial class ConsoleJobs
    {
        /// <summary>Prints a line on stdout and one on stderr from the worker.</summary>
        [ParallelJob]
        public static int Say(int i)
        {
            Console.WriteLine($"stdout line {i} from worker process");
            Console.Error.WriteLine($"stderr line {i} from worker process");
            return Environment.ProcessId;
        }

        /// <summary>Prints a line through a console writer of the job's own that does not flush by itself.</summary>
        [ParallelJob]
        public static void SayBuffered(int i)
        {
            Console.SetOut(new System.IO.StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false });
            Console.WriteLine($"buffered line {i} from worker process");
        }

        /// <summary>Sums 0..n-1 after an await (the rest runs on a pool thread) with Parallel.For and Task.Run.</summary>
        [ParallelJob]
        public static async Task<long> FanOut(int n)
        {
            await Task.Delay(10).ConfigureAwait(false);
            long total = 0;
            Parallel.For(0, n, i => Interlocked.Add(ref total, Square(i) == i * i ? i : 0));
            return await Task.Run(() => total + Square(0)).ConfigureAwait(false);
        }

        /// <summary><see cref="FanOut"/>, printing its sum.</summary>
        [ParallelJob]
        public static async Task FanOutAndPrint(int n) => Console.WriteLine($"process sum {await FanOut(n).ConfigureAwait(false)}");

        private static int Square(int i) => i * i;

        /// <summary>Returns <paramref name="length"/> bytes after a pause.</summary>
        [ParallelJob]
        public static byte[] BytesLater(int length, int milliseconds)
        {
            Thread.Sleep(milliseconds);
            return new byte[length];
        }

        /// <summary>Sleeps.</summary>
        [ParallelJob]
        public static void Sleep(int milliseconds) => Thread.Sleep(milliseconds);
    }
}
