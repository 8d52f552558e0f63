using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// A process server's workers take jobs and give results through shared-memory rings (issue 14): one pair per
/// worker, larger jobs than the rings stream through them, and the files go with the server. Serial: the test
/// counts this process's segment files, and the second one changes the environment workers start with.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed class WorkerRingsTests
{
    // Header (64) + two rings of 256 KiB, each with its 192-byte header (see WorkerRings).
    private const long RingSegmentLength = 64 + (2 * (192 + (1 << 18)));

    private static string[] RingFiles()
        => [.. Directory.EnumerateFiles("/dev/shm", $"parallelkit-{Environment.ProcessId}-*")
            .Where(path => { try { return new FileInfo(path).Length == RingSegmentLength; } catch (IOException) { return false; } })];

    [Fact]
    public async Task Each_worker_gets_its_rings_jobs_larger_than_a_ring_pass_both_ways_and_disposal_removes_them()
    {
        // Relative to what is there (a server another test forgot to dispose would keep its workers' rings).
        int before = RingFiles().Length;
        await using (var server = JobServer.Start(new JobServerOptions { Workers = 2 }))
        {
            byte[] large = new byte[(3 << 20) + 17];
            Random.Shared.NextBytes(large);
            var echoes = Enumerable.Range(0, 4).Select(_ => server.Submit(TestJobs.Jobs.EchoBytes(large)).AsTask()).ToArray();
            foreach (byte[] echo in await Task.WhenAll(echoes).WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken))
            {
                Assert.True(echo.AsSpan().SequenceEqual(large));
            }

            int[] incremented = await server.MapAsync(Enumerable.Range(0, 10_000), i => TestJobs.Jobs.Increment(i))
                .WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
            Assert.Equal(Enumerable.Range(1, 10_000), incremented);
            Assert.Equal(before + 2, RingFiles().Length);
        }

        Assert.Equal(before, RingFiles().Length);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_workers_rings_file_is_readable_and_writable_by_its_owner_only()
    {
        string[] before = RingFiles();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Assert.Equal(42, await server.Submit(TestJobs.Jobs.Increment(41)).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken));
        string ring = Assert.Single(RingFiles().Except(before));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ring));
    }

    [Fact]
    public async Task With_the_socket_transport_chosen_jobs_go_over_the_socket_as_before()
    {
        Environment.SetEnvironmentVariable("PARALLELKIT_WORKER_TRANSPORT", "socket");
        try
        {
            int before = RingFiles().Length;
            await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
            byte[] large = new byte[(2 << 20) + 5];
            Random.Shared.NextBytes(large);
            byte[] echo = await server.Submit(TestJobs.Jobs.EchoBytes(large)).AsTask()
                .WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
            Assert.True(echo.AsSpan().SequenceEqual(large));
            Assert.Equal(42, await server.Submit(TestJobs.Jobs.Increment(41)));
            Assert.Equal(before, RingFiles().Length);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PARALLELKIT_WORKER_TRANSPORT", null);
        }
    }
}
