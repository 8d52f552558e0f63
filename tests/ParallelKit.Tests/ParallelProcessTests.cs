using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>ParallelProcess: one job in a dedicated process, like multiprocessing.Process.</summary>
public sealed class ParallelProcessTests
{
    [Fact]
    public void A_job_runs_in_its_own_process_and_exits_with_zero()
    {
        using var process = ParallelProcess.Start(TestJobs.Jobs.Print("hello from a child process"));
        Assert.NotEqual(Environment.ProcessId, process.Pid);
        Assert.True(process.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, process.ExitCode);
        Assert.False(process.IsAlive);
    }

    [Fact]
    public async Task A_job_that_throws_exits_with_one()
    {
        using var process = ParallelProcess.Start(TestJobs.Jobs.Throw("child failure (expected by the test)"));
        await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, process.ExitCode);
    }

    [Fact]
    public void Exit_code_and_liveness_stay_readable_after_dispose()
    {
        var process = ParallelProcess.Start(TestJobs.Jobs.Add(1, 2));
        process.Join();
        process.Dispose();
        Assert.Equal(0, process.ExitCode);
        Assert.False(process.IsAlive);
    }

    [Fact]
    public void Join_gives_the_exit_code_at_once_and_dispose_leaves_no_zombie()
    {
        // Join returns on the process's own exit report (before the kernel has torn it down); Dispose waits for
        // the reaping, so nothing of the process is left afterwards.
        var process = ParallelProcess.Start(TestJobs.Jobs.Add(1, 2));
        process.Join();
        Assert.Equal(0, process.ExitCode);
        Assert.False(process.IsAlive);
        int pid = process.Pid;
        process.Dispose();
        Assert.False(System.IO.Directory.Exists($"/proc/{pid}"), $"process {pid} was not reaped");
    }

    [Fact]
    public async Task Processes_started_one_after_another_use_the_warm_spare_and_all_run_their_jobs()
    {
        Assert.True(ParallelProcess.KeepWarmSpare);
        var pids = new System.Collections.Generic.HashSet<int>();
        for (int i = 0; i < 5; i++)
        {
            using var process = ParallelProcess.Start(TestJobs.Jobs.Crash(10 + i));
            await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(10 + i, process.ExitCode); // each job ran, in its own process
            Assert.True(pids.Add(process.Pid));
            await Task.Delay(200); // time for the next spare to connect
        }
    }

    [Fact]
    public void A_process_waits_for_the_foreground_threads_its_job_started_but_not_for_background_ones()
    {
        using var done = new ProcessEvent();
        using var process = ParallelProcess.Start(SyncJobs.Jobs.SetLaterFromForegroundThread(done, 500));
        Assert.True(process.Join(TimeSpan.FromSeconds(60)), "a background thread must not keep the process alive");
        Assert.Equal(0, process.ExitCode);
        Assert.True(done.IsSet, "the job's foreground thread was cut short by the process's exit");
    }

    [Fact]
    public async Task A_warm_spare_holds_no_file_descriptor_a_freshly_started_process_does_not()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("parallelkit-fds-").FullName;
        try
        {
            // A process started for its job, then one taken from the warm spare (given time to warm up while it waits).
            ParallelProcess.KeepWarmSpare = false;
            using (var fresh = ParallelProcess.Start(TestJobs.Jobs.WriteOpenFiles(System.IO.Path.Combine(dir, "fresh"))))
            {
                Assert.True(fresh.Join(TimeSpan.FromSeconds(60)));
            }

            ParallelProcess.KeepWarmSpare = true;
            using (var first = ParallelProcess.Start(TestJobs.Jobs.Add(1, 2)))
            {
                Assert.True(first.Join(TimeSpan.FromSeconds(60)));
            }

            await Task.Delay(3000);
            using (var spare = ParallelProcess.Start(TestJobs.Jobs.WriteOpenFiles(System.IO.Path.Combine(dir, "spare"))))
            {
                Assert.True(spare.Join(TimeSpan.FromSeconds(60)));
            }

            // Compared by what they are: descriptors inherited from this process by identity, the process's own
            // sockets and pipes by kind. Assembly files are the runtime's (it maps each assembly it loads).
            var inherited = new System.Collections.Generic.HashSet<string>(
                System.IO.Directory.GetFiles("/proc/self/fd").Select(fd => new System.IO.FileInfo(fd).LinkTarget ?? string.Empty));
            string Kind(string target) => target.EndsWith(".dll", StringComparison.Ordinal) ? string.Empty
                : inherited.Contains(target) && !target.StartsWith("socket:", StringComparison.Ordinal) ? target
                : target.StartsWith("socket:", StringComparison.Ordinal) ? "socket"
                : target.StartsWith("pipe:", StringComparison.Ordinal) ? "pipe"
                : target;
            string[] Read(string name) => [.. System.IO.File.ReadAllLines(System.IO.Path.Combine(dir, name))
                .Select(line => Kind(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..])).Where(kind => kind.Length > 0).Order(StringComparer.Ordinal)];
            Assert.Equal(Read("fresh"), Read("spare"));
        }
        finally
        {
            ParallelProcess.KeepWarmSpare = true;
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Kill_kills_a_running_process()
    {
        using var process = ParallelProcess.Start(TestJobs.Jobs.Sleep(60_000));
        Assert.True(process.IsAlive);
        Assert.Null(process.ExitCode);
        process.Kill();
        Assert.True(process.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(137, process.ExitCode);
    }

    [Fact]
    public void Terminate_cancels_the_job_which_may_clean_up_and_the_process_exits_with_143()
    {
        using var started = new ProcessEvent();
        using var cleanedUp = new ProcessEvent();
        using var process = ParallelProcess.Start(SyncJobs.Jobs.WaitForTerminate(started, cleanedUp));
        Assert.True(started.Wait(TimeSpan.FromSeconds(60)));
        process.Terminate();
        Assert.True(process.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(143, process.ExitCode);
        Assert.True(cleanedUp.IsSet, "the job's finally block did not run");
    }

    [Fact]
    public void Processes_have_names_the_parent_lists_its_live_children_and_a_child_knows_its_parent()
    {
        Assert.Null(ParallelProcess.ParentProcessId);
        using var parent = new SharedValue<int>(0);
        using (var child = ParallelProcess.Start(SyncJobs.Jobs.ReportParent(parent), "reporter"))
        {
            Assert.Equal("reporter", child.Name);
            Assert.StartsWith("reporter ", child.ToString(), StringComparison.Ordinal);
            Assert.True(child.Join(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, child.ExitCode);
        }

        Assert.Equal(Environment.ProcessId, parent.Value);

        using var sleeper = ParallelProcess.Start(TestJobs.Jobs.Sleep(60_000));
        Assert.StartsWith("ParallelProcess-", sleeper.Name, StringComparison.Ordinal);
        Assert.Contains(sleeper, ParallelProcess.ActiveChildren());
        sleeper.Kill();
        Assert.True(sleeper.Join(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(sleeper, ParallelProcess.ActiveChildren());
    }

    [Fact]
    public void The_exit_code_of_the_job_process_is_reported()
    {
        using var process = ParallelProcess.Start(TestJobs.Jobs.Crash(42));
        Assert.True(process.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(42, process.ExitCode);
    }
}
