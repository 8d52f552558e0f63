using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using Xunit;

namespace ParallelKit.Cluster.Tests;

/// <summary>
/// A real <c>redis-server</c> with a password, started by the test as a child process on 127.0.0.1 (no persistence).
/// A test that needs it and cannot start it fails: <c>.ci/run</c> installs Debian's redis-server.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    public const string Password = "redis-test-password-42";

    private static readonly string[] Binaries = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

    private readonly Process _process;

    public RedisServer()
    {
        string? binary = Binaries.FirstOrDefaultExisting();
        Assert.True(binary is not null, "redis-server is not installed (apt-get install redis-server; .ci/run installs it): the Redis membership tests need a real server.");
        Port = ClusterProcess.FreePorts(1)[0];
        var start = new ProcessStartInfo(binary!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--requirepass", Password, "--save", string.Empty, "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ClusterProcess.WaitForListener(Port, TimeSpan.FromSeconds(20));
        Assert.False(_process.HasExited, "redis-server exited at start");
    }

    public int Port { get; }

    /// <summary>The membership configuration string nodes and drivers use.</summary>
    public string Configuration => $"127.0.0.1:{Port},password={Password}";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}

internal static class PathExtensions
{
    public static string? FirstOrDefaultExisting(this string[] paths)
    {
        foreach (string path in paths)
        {
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
