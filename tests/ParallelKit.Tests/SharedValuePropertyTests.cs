using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary><c>[SharedValue]</c> properties: generated shared memory across threads, job workers and processes.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SharedValuePropertyTests
{
    [Fact]
    public async Task Increments_under_Lock_from_two_workers_and_the_parent_give_the_exact_total()
    {
        using var tally = new SharedTally();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        const int PerJob = 20_000;
        Job[] jobs =
        [
            .. Enumerable.Range(0, 2).Select(_ => server.Submit(SharedValuePropertyJobs.Jobs.IncrementUnderLock(tally, PerJob))),
            .. Enumerable.Range(0, 2).Select(_ => server.Submit(SharedValuePropertyJobs.Jobs.IncrementWithHelper(tally, PerJob))),
        ];
        for (int i = 0; i < PerJob; i++)
        {
            using (tally.Lock())
            {
                tally.Count++;
            }
        }

        foreach (Job job in jobs)
        {
            await job;
        }

        Assert.Equal(5L * PerJob, tally.Count);
    }

    [Fact]
    public async Task Threads_backend_shares_the_same_object()
    {
        using var tally = new SharedTally();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2, Backend = JobBackend.Threads });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => server.Submit(SharedValuePropertyJobs.Jobs.IncrementUnderLock(tally, 10_000)).Completion));
        Assert.Equal(40_000L, tally.Count);
        Assert.True(await server.Submit(SharedValuePropertyJobs.Jobs.SameObject(tally, tally)));
    }

    [Fact]
    public void A_ParallelProcess_child_writes_into_the_parents_object()
    {
        using var tally = new SharedTally();
        tally.Best = 1.5;
        using (var process = ParallelProcess.Start(SharedValuePropertyJobs.Jobs.RecordBest(tally, 3.1415927)))
        {
            Assert.True(process.Join(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, process.ExitCode);
        }

        Assert.Equal(3.1415927, tally.Best);
    }

    [Fact]
    public async Task A_worker_maps_the_same_segment_without_running_the_constructor_again()
    {
        using var tally = new SharedTally();
        Assert.Equal(7, tally.Marker);
        tally.Marker = 42;
        tally.Count = 5;
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        string handle = ((IMarshalByHandle)tally).HandleName;
        Assert.Equal($"{handle} 5 42", await server.Submit(SharedValuePropertyJobs.Jobs.Describe(tally)));
        Assert.True(await server.Submit(SharedValuePropertyJobs.Jobs.SameObject(tally, tally)));
        Assert.Equal(42, tally.Marker);
    }

    [Fact]
    public void The_lock_is_reentrant_and_helpers_return_the_new_value()
    {
        using var tally = new SharedTally();
        using (tally.Lock())
        {
            using (tally.Lock())
            {
                tally.Count++;
            }

            Assert.Equal(2L, tally.IncrementCount());
        }

        Assert.Equal(12L, tally.AddCount(10));
        Assert.Equal(11L, tally.DecrementCount());
        Assert.Equal(0.5, tally.AddBest(0.5));
    }

    [Fact]
    public void Dispose_removes_the_segment_file_and_later_use_fails_clearly()
    {
        var tally = new SharedTally();
        string path = Path.Combine("/dev/shm", ((IMarshalByHandle)tally).HandleName);
        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        tally.Dispose();
        tally.Dispose();
        Assert.True(tally.DisposingRan);
        Assert.False(File.Exists(path));
        Assert.Throws<ObjectDisposedException>(() => tally.Count);
        Assert.Throws<ObjectDisposedException>(() => tally.Lock());
    }

    [Fact]
    public void Writing_after_Dispose_fails_and_creates_nothing()
    {
        var tally = new SharedTally();
        tally.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tally.Count = 1);
    }

    [Fact]
    public async Task Using_an_object_whose_owner_disposed_it_fails_clearly_in_a_worker()
    {
        var tally = new SharedTally();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        JobCall<string> call = SharedValuePropertyJobs.Jobs.Describe(tally);
        tally.Dispose();
        var error = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(call));
        Assert.Contains("no longer exists", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(SharedTally), error.Message, StringComparison.Ordinal);
    }
}
