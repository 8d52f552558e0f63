using System;
using System.Linq;
using ParallelKit;
using ParallelKit.Tests.ConsoleApp;

// Jobs write to the console from worker processes: their lines must reach this process's stdout/stderr.
await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
int[] pids = await server.MapAsync(Enumerable.Range(0, 4), i => ConsoleJobs.Jobs.Say(i));
Console.WriteLine($"parent {Environment.ProcessId} done; workers {string.Join(",", pids.Distinct().Where(p => p != Environment.ProcessId).Select(_ => "other"))}");

namespace ParallelKit.Tests.ConsoleApp
{
    /// <summary>Jobs that print.</summary>
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
    }
}
