using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Cluster.Tests;

/// <summary>One node or driver of a test cluster: the test app run as its own process, its output captured line by line.</summary>
internal sealed class ClusterProcess : IDisposable
{
    public const string Secret = "cluster-tests-secret-0123456789";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly object _gate = new();

    private ClusterProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_gate)
            {
                return _error.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the test app (or its other build) with these arguments.</summary>
    public static ClusterProcess Start(string name, string[] arguments, bool otherBuild = false, string? secret = Secret)
    {
        string project = otherBuild ? "ParallelKit.Cluster.TestApp.OtherBuild" : "ParallelKit.Cluster.TestApp";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(AppPath(project));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--secret");
        start.ArgumentList.Add(secret ?? string.Empty);
        return new ClusterProcess(name, Process.Start(start)!);
    }

    /// <summary>Waits for a line of standard output containing <paramref name="text"/>.</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"{Name} did not print '{text}' within {timeout.TotalSeconds:F0} s.\nstdout:\n{Output}\nstderr:\n{Tail(Error)}");
            }

            if (_process.HasExited && !Output.Contains(text, StringComparison.Ordinal))
            {
                Thread.Sleep(200); // let the output readers drain
                Assert.True(Output.Contains(text, StringComparison.Ordinal), $"{Name} exited with {_process.ExitCode} without printing '{text}'.\nstdout:\n{Output}\nstderr:\n{Tail(Error)}");
                return;
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for the process to exit; returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Assert.Fail($"{Name} did not exit within {timeout.TotalSeconds:F0} s.\nstdout:\n{Output}\nstderr:\n{Tail(Error)}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            _ = Native.Kill(_process.Id, signal);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal(Native.SIGCONT);
            Signal(Native.SIGTERM);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }

        _process.Dispose();
    }

    /// <summary>Free TCP ports on loopback, one per process role.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>Waits until something listens on <paramref name="port"/> (the driver's silo, before nodes join it).</summary>
    public static void WaitForListener(int port, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Starts <c>&lt;folder&gt;/&lt;project&gt;</c>'s build output with <c>dotnet</c> and these arguments.</summary>
    public static ClusterProcess StartBuilt(string folder, string project, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(AppPath(project, folder));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new ClusterProcess(project, Process.Start(start)!);
    }

    private static string AppPath(string project, string folder = "tests")
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        string app = Path.Combine(repo, folder, project, "bin", configuration, "net10.0", project + ".dll");
        Assert.True(File.Exists(app), $"{app} was not built");
        return app;
    }

    private static string Tail(string text) => text.Length > 6000 ? "…" + text[^6000..] : text;

    private void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            to.AppendLine(line);
        }
    }
}

/// <summary>Signals for killing and stopping nodes.</summary>
internal static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}

/// <summary>A driver and its nodes on free loopback ports; disposing stops them all.</summary>
internal sealed class TestCluster : IDisposable
{
    private readonly int[] _ports;
    private readonly ConcurrentBag<ClusterProcess> _processes = [];

    private readonly string[] _membership;

    /// <param name="nodes">How many nodes the test may start.</param>
    /// <param name="redis">The Redis configuration to use for membership; <see langword="null"/>: localhost membership (the driver is the primary).</param>
    public TestCluster(int nodes, string? redis = null)
    {
        _ports = ClusterProcess.FreePorts(2 * (nodes + 3));
        _membership = redis is null ? ["--primary", Port(0)] : ["--redis", redis, "--advertise", "127.0.0.1"];
    }


    public ClusterProcess StartDriver(string scenario, int nodes, params string[] more) => StartDriverAt(0, scenario, nodes, more);

    /// <summary>Starts a driver on the given pair of ports (pair 0 is the primary's with localhost membership; the last pair is free for a second driver).</summary>
    public ClusterProcess StartDriverAt(int pair, string scenario, int nodes, params string[] more)
    {
        ClusterProcess driver = ClusterProcess.Start($"driver{pair}",
            ["driver", "--silo", Port(2 * pair), "--gateway", Port((2 * pair) + 1), .. _membership, "--scenario", scenario, "--nodes", nodes.ToString(System.Globalization.CultureInfo.InvariantCulture), .. more]);
        _processes.Add(driver);
        ClusterProcess.WaitForListener(_ports[2 * pair], TimeSpan.FromSeconds(60));
        return driver;
    }

    /// <summary>Starts a driver on the first port pair without waiting for its silo to listen (it may never).</summary>
    public ClusterProcess StartDriverWithoutWaiting(string scenario, params string[] more)
    {
        ClusterProcess driver = ClusterProcess.Start("driver",
            ["driver", "--silo", Port(0), "--gateway", Port(1), .. _membership, "--scenario", scenario, .. more]);
        _processes.Add(driver);
        return driver;
    }

    /// <summary>The index of the last port pair, kept for a second driver.</summary>
    public int SpareDriverPair => (_ports.Length / 2) - 1;

    public ClusterProcess StartNode(int index, bool otherBuild = false, string secret = ClusterProcess.Secret, params string[] more)
    {
        ClusterProcess node = ClusterProcess.Start($"n{index}",
            ["node", "--silo", Port(2 * index), "--gateway", Port((2 * index) + 1), .. _membership, "--name", $"n{index}", .. more],
            otherBuild, secret);
        _processes.Add(node);
        return node;
    }

    public void Dispose()
    {
        foreach (ClusterProcess process in _processes)
        {
            process.Dispose();
        }
    }

    private string Port(int i) => _ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
}
