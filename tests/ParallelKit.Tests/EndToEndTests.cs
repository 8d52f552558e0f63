using System;
using System.Linq;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>The seed examples and a plain console app, run as users run them.</summary>
public sealed class EndToEndTests
{
    [Fact]
    public void The_Primes_sample_prints_pp_results_progress_and_stats()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "Primes", "200000");

        Assert.True(exitCode == 0, error);
        Assert.Contains("Sum of primes below 100000 is 454396537", output, StringComparison.Ordinal);
        Assert.Contains("Sum of primes below 100700 is 460217613", output, StringComparison.Ordinal);
        Assert.Contains("Sum of primes below 200000 is 1709600813", output, StringComparison.Ordinal);
        Assert.Contains("64/64 jobs", error, StringComparison.Ordinal); // the progress bar draws on stderr, as tqdm's does
        Assert.DoesNotContain("jobs\r", output + "\r", StringComparison.Ordinal);
        Assert.DoesNotContain("[###", output, StringComparison.Ordinal);
        Assert.Contains("Job execution statistics:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Lock_sample_prints_ten_whole_lines_one_per_process()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "Lock");

        Assert.True(exitCode == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(10, lines.Length);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"hello world {i}").Order(), lines.Order());
    }

    [Fact]
    public void The_Queue_sample_prints_what_the_child_put()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "Queue");

        Assert.True(exitCode == 0, error);
        Assert.Equal("[42, None, 'hello']", output.Trim());
    }

    [Fact]
    public void The_Pipe_sample_prints_what_the_child_sent()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "Pipe");

        Assert.True(exitCode == 0, error);
        Assert.Equal("[42, None, 'hello']", output.Trim());
    }

    [Fact]
    public void The_SharedMemory_sample_prints_the_seeds_lines_then_progress_from_a_shared_value_object()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "SharedMemory", "200000");

        Assert.True(exitCode == 0, error);
        string[] lines = output.Split('\n');

        // What the child printed (a failed job's error) goes with a mismatch: the sample, like Python's, does not check the exit code.
        Assert.True(lines[0].TrimEnd('\r') == "3.1415927", $"first line '{lines[0]}'; stderr: {error}");
        Assert.Equal("[0, -1, -2, -3, -4, -5, -6, -7, -8, -9]", lines[1].TrimEnd('\r'));
        Assert.Contains("100%", error, StringComparison.Ordinal); // the progress bar draws on stderr
        Assert.DoesNotContain("%", output, StringComparison.Ordinal);
        Assert.Contains("17984 primes below 200000, the largest 199999", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Threads_sample_counts_every_increment_of_threads_then_processes_sharing_one_counter()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "Threads");

        Assert.True(exitCode == 0, error);
        Assert.Equal(["threads: 400000", "threads, then processes: 800000"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void The_ParallelMap_sample_maps_in_order_over_worker_processes_and_streams_with_imap()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "ParallelMap", "100000");

        Assert.True(exitCode == 0, error);
        Assert.Equal(
            ["[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]", "longest Collatz chain below 100000: 77031 (350 steps)", "first chain of 300+ steps, in chunk order: 26623 (307 steps)"],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void The_Manager_sample_prints_pythons_dict_and_reversed_list()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("Samples", "Manager");

        Assert.True(exitCode == 0, error);
        Assert.Equal(["{1: '1', '2': 2, 0.25: None}", "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Jobs_that_continue_on_other_threads_finish_in_an_app_whose_workers_are_served_before_main()
    {
        // The console app's Program has top-level statements only, so its workers are served from Program's
        // generated static constructor: pool threads and Parallel.For inside a job must not wait for it.
        (int exitCode, string output, string error) = BuiltApps.Run("tests", "ParallelKit.Tests.ConsoleApp", "threads");

        Assert.True(exitCode == 0, error);
        Assert.Equal(["server: 499500", "process sum 499500", "process: exit code 0"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Console_output_of_jobs_in_workers_reaches_the_parents_stdout_and_stderr()
    {
        (int exitCode, string output, string error) = BuiltApps.Run("tests", "ParallelKit.Tests.ConsoleApp");

        Assert.True(exitCode == 0, error);
        foreach (int i in Enumerable.Range(0, 4))
        {
            Assert.Contains($"stdout line {i} from worker process", output, StringComparison.Ordinal);
            Assert.Contains($"stderr line {i} from worker process", error, StringComparison.Ordinal);
        }

        Assert.Contains("stdout line 99 from worker process", output, StringComparison.Ordinal); // from a ParallelProcess
        Assert.Contains("stderr line 99 from worker process", error, StringComparison.Ordinal);
        Assert.Contains("buffered line 100 from worker process", output, StringComparison.Ordinal); // flushed before the process left
        Assert.Contains("done; workers other", output, StringComparison.Ordinal);
    }
}
