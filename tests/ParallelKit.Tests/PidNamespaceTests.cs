using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// ParallelKit processes in another pid namespace sharing /dev/shm and the temp directory (issue 11, item 3):
/// their crash sweep must leave this process's live files alone. Runs as root (unshare); fails, never skips,
/// when it cannot.
/// </summary>
public sealed class PidNamespaceTests
{
    [Fact]
    public async Task A_ParallelKit_process_in_a_child_pid_namespace_leaves_live_files_of_this_namespace_alone()
    {
        using var value = new SharedValue<int>(41);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2)));

        // The SharedMemory sample creates shared memory and starts processes (both sweep for dead owners), from
        // a new pid namespace with its own /proc: no pid of this namespace is visible there.
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["--pid", "--fork", "--mount-proc", "dotnet", BuiltApps.PathOf("Samples", "SharedMemory"), "20000"])
        {
            start.ArgumentList.Add(argument);
        }

        using (Process contained = Process.Start(start) ?? throw new InvalidOperationException("unshare did not start"))
        {
            Task<string> output = contained.StandardOutput.ReadToEndAsync();
            Task<string> error = contained.StandardError.ReadToEndAsync();
            await contained.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(contained.ExitCode == 0, $"the contained app failed ({contained.ExitCode}; unshare needs root): {await output} {await error}");
        }

        Assert.True(File.Exists(Path.Combine("/dev/shm", value.HandleName)), "a live process's shared memory was removed");

        // Still usable by new processes: a replacement worker connects (through the server's socket directory,
        // which the old sweep removed), and opens the value by name.
        await WorkerRecoveryTests.KillAndWaitForDeathAsync(server, server.Stats.Workers.Single(w => w.IsAlive));
        Assert.Equal($"{value.HandleName} 41", await server.Submit(SharedMemoryJobs.Jobs.Describe(value)).AsTask().WaitAsync(TimeSpan.FromMinutes(2)));
    }
}
