using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>A server whose workers cannot start for a while, or whose socket strangers hold open (issue 11, items 4 and 8).</summary>
[Collection(SerialTestGroup.Name)]
public sealed class WorkerRecoveryTests
{
    private const string StartupHooks = "DOTNET_STARTUP_HOOKS";

    [Fact]
    public async Task A_server_whose_workers_cannot_start_for_a_while_fails_work_clearly_then_serves_again()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2)));

        // From now on a relaunched worker dies before it connects: its runtime cannot load a startup hook.
        string? hooks = Environment.GetEnvironmentVariable(StartupHooks);
        Environment.SetEnvironmentVariable(StartupHooks, "/nonexistent/ParallelKit.Tests.NoSuchHook.dll");
        try
        {
            await KillAndWaitForDeathAsync(server, server.Stats.Workers.Single(w => w.IsAlive));

            // Work fails with the reason (not waiting for ever) once starts keep failing with no worker serving.
            InvalidOperationException? refused = null;
            for (int i = 0; i < 600 && refused is null; i++)
            {
                try
                {
                    await server.Submit(TestJobs.Jobs.Add(2, 2)).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
                    await Task.Delay(100);
                }
                catch (InvalidOperationException ex)
                {
                    refused = ex;
                }
            }

            Assert.NotNull(refused);
            Assert.Contains("could start", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(StartupHooks, hooks);
        }

        // The cause is gone: the server keeps trying, and serves again.
        int? answer = null;
        for (int i = 0; i < 1200 && answer is null; i++)
        {
            try
            {
                answer = await server.Submit(TestJobs.Jobs.Add(20, 22)).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (InvalidOperationException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(42, answer);
    }

    [Fact]
    public async Task Silent_connections_to_the_worker_socket_do_not_keep_a_replacement_worker_out()
    {
        string[] before = OwnSocketDirectories();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Assert.Equal(3, await server.Submit(TestJobs.Jobs.Add(1, 2)));
        string endpoint = Path.Combine(OwnSocketDirectories().Except(before).Single(), "jobs.sock");

        // Sixteen connections from this user that never say anything: one at a time, 5 s each, they used to
        // keep the replacement out past its 30 s start limit.
        var silent = Enumerable.Range(0, 16).Select(_ => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)).ToList();
        try
        {
            foreach (Socket socket in silent)
            {
                socket.Connect(new UnixDomainSocketEndPoint(endpoint));
            }

            WorkerStats first = server.Stats.Workers.Single(w => w.IsAlive);
            await KillAndWaitForDeathAsync(server, first);

            Job<int> job = server.Submit(TestJobs.Jobs.Add(20, 22));
            Assert.Equal(42, await job.AsTask().WaitAsync(TimeSpan.FromMinutes(3)));
            Assert.Equal(first.WorkerId + 1, job.WorkerId); // the first replacement was admitted, not killed as a failed start
        }
        finally
        {
            foreach (Socket socket in silent)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>SIGKILLs a worker and waits until the server has seen it die (so new work cannot go to it).</summary>
    internal static async Task KillAndWaitForDeathAsync(JobServer server, WorkerStats worker)
    {
        System.Diagnostics.Process.GetProcessById(worker.ProcessId).Kill();
        for (int i = 0; i < 600 && server.Stats.Workers.Any(w => w.WorkerId == worker.WorkerId && w.IsAlive); i++)
        {
            await Task.Delay(50);
        }

        Assert.DoesNotContain(server.Stats.Workers, w => w.WorkerId == worker.WorkerId && w.IsAlive);
    }

    private static string[] OwnSocketDirectories()
        => Directory.GetDirectories(Path.GetTempPath(), $"parallelkit-{Environment.ProcessId}-*");
}
