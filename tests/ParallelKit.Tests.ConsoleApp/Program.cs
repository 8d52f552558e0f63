using System;
using System.Linq;
using System.Threading;
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

await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
int[] pids = await server.MapAsync(Enumerable.Range(0, 4), i => ConsoleJobs.Jobs.Say(i));
if (args is ["orphan"])
{
    using var child = ParallelProcess.Start(ConsoleJobs.Jobs.Sleep(600_000));
    Console.WriteLine($"pids {string.Join(" ", server.Stats.Workers.Select(w => w.ProcessId).Append(child.Pid))}");
    Thread.Sleep(Timeout.Infinite);
}

using (var single = ParallelProcess.Start(ConsoleJobs.Jobs.Say(99)))
{
    single.Join();
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

        /// <summary>Sleeps.</summary>
        [ParallelJob]
        public static void Sleep(int milliseconds) => Thread.Sleep(milliseconds);
    }
}
