using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>SharedValue and SharedArray: shared memory across threads, job workers and processes.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SharedMemoryTests
{
    [Fact]
    public void The_seed_Value_and_Array_example_runs_in_a_child_process()
    {
        using var number = new SharedValue<double>(0.0);
        using var array = new SharedArray<int>(Enumerable.Range(0, 10).ToArray());
        using (var process = ParallelProcess.Start(SharedMemoryJobs.Jobs.PiAndNegate(number, array)))
        {
            process.Join();
            Assert.Equal(0, process.ExitCode);
        }

        Assert.Equal(3.1415927, number.Value);
        Assert.Equal([0, -1, -2, -3, -4, -5, -6, -7, -8, -9], array.ToArray());
    }

    [Fact]
    public async Task Increments_under_the_lock_from_two_workers_and_the_parent_give_the_exact_total()
    {
        using var counter = new SharedValue<long>(0);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        const int PerJob = 20_000;
        Job[] jobs = [.. Enumerable.Range(0, 4).Select(_ => server.Submit(SharedMemoryJobs.Jobs.Increment(counter, PerJob)))];
        for (int i = 0; i < PerJob; i++)
        {
            using (counter.Lock())
            {
                counter.Value++;
            }
        }

        foreach (Job job in jobs)
        {
            await job;
        }

        Assert.Equal(5L * PerJob, counter.Value);
    }

    [Fact]
    public async Task Threads_backend_shares_the_same_object()
    {
        using var counter = new SharedValue<long>(0);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, Backend = JobBackend.Threads });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => server.Submit(SharedMemoryJobs.Jobs.Increment(counter, 10_000)).Completion));
        Assert.Equal(40_000L, counter.Value);
    }

    [Fact]
    public async Task A_worker_sees_what_the_parent_wrote_and_maps_the_same_segment()
    {
        using var value = new SharedValue<int>(41);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        value.Value = 42;
        Assert.Equal($"{value.HandleName} 42", await server.Submit(SharedMemoryJobs.Jobs.Describe(value)));
        using var array = new SharedArray<int>(Enumerable.Range(1, 1000).ToArray());
        Assert.Equal(500_500L, await server.Submit(SharedMemoryJobs.Jobs.Sum(array)));
    }

    [Fact]
    public async Task A_holder_that_dies_does_not_deadlock_the_next_one()
    {
        using var counter = new SharedValue<long>(0);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(SharedMemoryJobs.Jobs.DieHoldingTheLock(counter)));

        var taking = Task.Run(() =>
        {
            using LockScope scope = counter.Lock();
            return scope.WasAbandoned;
        });
        Assert.True(await taking.WaitAsync(TimeSpan.FromSeconds(20)), "the lock of a dead holder should be reported abandoned");
        Assert.Equal(-1L, counter.Value);
        counter.Value = 5;
        Assert.Equal(5L, counter.Value);
    }

    [Fact]
    public void Segments_are_private_files_removed_when_the_owner_disposes_them()
    {
        var value = new SharedValue<int>(7);
        string path = Path.Combine("/dev/shm", value.HandleName);
        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        value.Dispose();
        Assert.False(File.Exists(path));
        Assert.Throws<ObjectDisposedException>(() => value.Value);
    }

    [Fact]
    public async Task Segments_of_an_owner_killed_with_SIGKILL_are_removed_by_the_next_process()
    {
        using var report = new ProcessQueue<string>();
        string path;
        string queue;
        using (var owner = ParallelProcess.Start(SharedMemoryJobs.Jobs.CreateAndWait(report)))
        {
            path = Path.Combine("/dev/shm", report.Get(TimeSpan.FromSeconds(60)));
            queue = report.Get(TimeSpan.FromSeconds(60));
            Assert.True(File.Exists(path));
            Assert.Equal(2, Directory.GetFiles("/dev/shm", queue + "*").Length); // the queue and its first chunk
            System.Diagnostics.Process.GetProcessById(owner.Pid).Kill(); // SIGKILL: the owner removes nothing
            await owner.JoinAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        // The segment is not looked for here: any ParallelKit process starting since the kill (other test projects run
        // beside this one) may have swept it already. Either way the next process leaves none behind.
        using (var next = ParallelProcess.Start(SharedMemoryJobs.Jobs.CreateOne()))
        {
            await next.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, next.ExitCode);
        }

        Assert.False(File.Exists(path), "the next ParallelKit process should have removed the dead owner's segment");
        Assert.Empty(Directory.GetFiles("/dev/shm", queue + "*"));
    }

    [Fact]
    public async Task Using_a_value_whose_owner_disposed_it_fails_clearly()
    {
        var value = new SharedValue<int>(1);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        JobCall<string> call = SharedMemoryJobs.Jobs.Describe(value);
        value.Dispose();
        var error = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(call));
        Assert.Contains("no longer exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Array_span_access_needs_the_lock()
    {
        using var array = new SharedArray<int>(4);
        Assert.Throws<InvalidOperationException>(() => array.AsSpan());
        using (array.Lock())
        {
            array.AsSpan().Fill(3);
        }

        Assert.Equal([3, 3, 3, 3], array.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => array[4]);
    }

    [Fact]
    public void The_lock_is_reentrant_and_released_only_by_its_holder()
    {
        using var value = new SharedValue<int>(0);
        Thread other;
        using (value.Lock())
        {
            using (value.Lock())
            {
                value.Value = 1;
            }

            // Still held: another thread cannot take it until the outer scope ends.
            other = new Thread(() =>
            {
                using (value.Lock())
                {
                    value.Value = 2;
                }
            });
            other.Start();
            Assert.False(other.Join(300));
            Assert.Equal(1, value.Value);
        }

        // Released: the other thread gets it now (waiting for it, since this thread could otherwise take it first).
        Assert.True(other.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, value.Update(v => v));
    }
}
