using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Process lifecycle and the private control socket.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LifecycleTests
{
    [Fact]
    public void Workers_and_child_processes_die_with_a_parent_that_is_SIGKILLed()
    {
        string app = BuiltApps.PathOf("tests", "ParallelKit.Tests.ConsoleApp");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(app);
        start.ArgumentList.Add("orphan");
        using var parent = Process.Start(start)!;
        _ = parent.StandardError.ReadToEndAsync();
        int[] children = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            string? line = parent.StandardOutput.ReadLine();
            Assert.NotNull(line);
            if (line.StartsWith("pids ", StringComparison.Ordinal))
            {
                children = [.. line[5..].Split(' ').Select(int.Parse)];
                break;
            }
        }

        Assert.Equal(3, children.Length);
        Assert.All(children, pid => Assert.True(Directory.Exists($"/proc/{pid}"), $"child {pid} should be running"));

        // The parent's private socket directories, seen while it runs. Once it is killed, any ParallelKit process that
        // starts (other test projects run beside this one) may remove them, so they are not looked for after the kill.
        int killed = parent.Id;
        string[] left = Directory.GetDirectories(Path.GetTempPath(), $"parallelkit-{killed}-*");
        Assert.NotEmpty(left);

        parent.Kill(); // SIGKILL: no cleanup code runs in the parent
        parent.WaitForExit();

        var gone = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < gone && children.Any(IsRunning))
        {
            Thread.Sleep(50);
        }

        Assert.All(children, pid => Assert.False(IsRunning(pid), $"child {pid} outlived its SIGKILLed parent"));

        // The killed parent could not remove its private socket directories: the next ParallelKit process does.
        (int exitCode, _, string error) = BuiltApps.Run("tests", "ParallelKit.Tests.ConsoleApp");
        Assert.True(exitCode == 0, error);
        Assert.All(left, directory => Assert.False(Directory.Exists(directory), $"{directory} outlived its SIGKILLed owner"));
    }

    [Fact]
    public void A_worker_streaming_a_result_nobody_reads_dies_with_its_SIGKILLed_parent()
    {
        // The parent is stopped while its worker's result (larger than the results ring) is on its way, then killed:
        // the worker's send waits for room that never comes, and its heartbeats must not wait behind that send, or the
        // control thread never sees the parent's end.
        string app = BuiltApps.PathOf("tests", "ParallelKit.Tests.ConsoleApp");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(app);
        start.ArgumentList.Add("orphan-streaming");
        using var parent = Process.Start(start)!;
        _ = parent.StandardError.ReadToEndAsync();
        int worker = 0;
        try
        {
            for (var deadline = DateTime.UtcNow.AddSeconds(60); worker == 0 && DateTime.UtcNow < deadline;)
            {
                string? line = parent.StandardOutput.ReadLine();
                Assert.NotNull(line);
                if (line.StartsWith("worker ", StringComparison.Ordinal))
                {
                    worker = int.Parse(line[7..], System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            Assert.True(worker > 0, "the app should print its worker's pid");
            using (var stop = Process.Start("kill", $"-STOP {parent.Id}"))
            {
                stop.WaitForExit();
                Assert.Equal(0, stop.ExitCode);
            }

            // The job returns half a second after the pid was printed; heartbeats fall due every second meanwhile.
            Thread.Sleep(3000);
            Assert.True(IsRunning(worker), "the worker should be waiting for room in the results ring");
        }
        finally
        {
            parent.Kill(); // SIGKILL reaches a stopped process too
            parent.WaitForExit();
        }

        var gone = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < gone && IsRunning(worker))
        {
            Thread.Sleep(50);
        }

        Assert.False(IsRunning(worker), $"worker {worker} outlived its SIGKILLed parent while sending a result");
    }

    [Fact]
    public async Task The_control_socket_is_private_and_refuses_a_client_without_the_secret()
    {
        string[] before = ParallelKitDirectories();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Assert.Equal(2, await server.Submit(TestJobs.Jobs.Add(1, 1)));
        // Tests run in parallel, so other servers' directories may appear too: every one must be private.
        string[] directories = [.. ParallelKitDirectories().Except(before).Where(d => File.Exists(Path.Combine(d, "jobs.sock")))];
        Assert.NotEmpty(directories);
        int refused = 0;
        foreach (string directory in directories)
        {
            string socketPath = Path.Combine(directory, "jobs.sock");
            try
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socketPath));
                if (await IsRefusedWithoutTheSecret(socketPath))
                {
                    refused++;
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                // Another test's server went away meanwhile.
            }
        }

        Assert.True(refused >= 1, "this test's own server must have been probed");
        Assert.Equal(5, await server.Submit(TestJobs.Jobs.Add(2, 3))); // the server is unharmed
    }

    [Fact]
    public async Task Results_and_arguments_of_32_MiB_travel()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        byte[] big = new byte[32 << 20];
        Random.Shared.NextBytes(big);
        byte[] echoed = await server.Submit(TestJobs.Jobs.EchoBytes(big)).AsTask().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(big.Length, echoed.Length);
        Assert.True(big.AsSpan().SequenceEqual(echoed));
    }

    /// <summary>
    /// Connects with a guessed secret: the server must answer 'refused' and close. False when the
    /// connection closed without an answer (a server shutting down); never accepted.
    /// </summary>
    private static async Task<bool> IsRefusedWithoutTheSecret(string socketPath)
    {
        using var stranger = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await stranger.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        byte[] hello = new byte[4 + 1 + 32 + 4 + 1 + 4 + 16];
        BitConverter.GetBytes(0x4A4B_5050u).CopyTo(hello, 0);
        hello[4] = 1;
        Random.Shared.NextBytes(hello.AsSpan(5, 32)); // a guessed secret
        hello[41] = 1; // data channel
        BitConverter.GetBytes(Environment.ProcessId).CopyTo(hello, 42);
        await stranger.SendAsync(hello);
        byte[] answer = new byte[1];
        int read = await stranger.ReceiveAsync(answer).WaitAsync(TimeSpan.FromSeconds(30));
        if (read == 0)
        {
            return false;
        }

        Assert.Equal(0, answer[0]); // refused, never accepted
        Assert.Equal(0, await stranger.ReceiveAsync(answer).WaitAsync(TimeSpan.FromSeconds(30))); // and closed
        return true;
    }

    [Fact]
    public async Task Arguments_or_results_over_MaxMessageSize_fail_that_job_clearly_and_nothing_else()
    {
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1, MaxMessageSize = 64 * 1024 });

        var tooBig = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.EchoBytes(new byte[100_000])));
        Assert.Equal(JobFailedException.MessageTooLarge, tooBig.RemoteType);
        Assert.Contains("MaxMessageSize", tooBig.RemoteMessage, StringComparison.Ordinal);

        var resultTooBig = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(TestJobs.Jobs.MakeBytes(100_000)))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("MaxMessageSize", resultTooBig.RemoteMessage, StringComparison.Ordinal);

        Assert.Equal(1000, (await server.Submit(TestJobs.Jobs.MakeBytes(1000))).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => JobServer.Start(new JobServerOptions { MaxMessageSize = 10 }));
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            // A zombie still has a /proc entry; its state is 'Z'.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string[] ParallelKitDirectories()
        => Directory.GetDirectories(Path.GetTempPath(), "parallelkit-*");
}
