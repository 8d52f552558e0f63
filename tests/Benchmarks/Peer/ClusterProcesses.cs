using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// A loopback cluster for the cluster benchmarks: this process is the driver (the primary silo of localhost
/// membership), each node is this executable relaunched as <c>cluster-node</c> with its own silo and gateway ports.
/// The driver starts first; nodes start once its silo port listens.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    /// <summary>The benchmarks' cluster secret (loopback only).</summary>
    public const string Secret = "parallelkit-benchmarks-secret";

    private readonly List<NodeProcess> _nodes = [];
    private readonly int _workers;
    private ClusterOptions _options = null!;
    private int _primaryPort;
    private int _nextNode;

    private LoopbackCluster(int workers) => _workers = workers;

    public JobServer Server { get; private set; } = null!;

    /// <summary>Seconds from <see cref="ClusterJobServer.StartAsync"/> to its return with every node admitted.</summary>
    public double FormSeconds { get; private set; }

    /// <summary>Seconds from the driver's start until its silo port listened (the nodes start then).</summary>
    public double DriverListeningSeconds { get; private set; }

    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>Each node process's CPU seconds (user + system, since its start) when the cluster had formed: the load-independent cost of a start.</summary>
    public double[] NodeCpuSecondsAtForm { get; private set; } = [];

    /// <summary>This (driver) process's CPU seconds since its start when the cluster had formed.</summary>
    public double DriverCpuSecondsAtForm { get; private set; }

    /// <summary>User + system CPU seconds of a process (fields 14 and 15 of /proc/PID/stat); NaN when unreadable.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // f[0] is field 3 (state)
            return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    /// <summary>Starts the driver and <paramref name="nodes"/> nodes of <paramref name="workers"/> workers each; returns when all are admitted.</summary>
    public static async Task<LoopbackCluster> StartAsync(int nodes, int workers, FailureDetection detection)
    {
        var cluster = new LoopbackCluster(workers);
        int[] ports = FreePorts(2);
        cluster._primaryPort = ports[0];
        cluster._options = new ClusterOptions
        {
            ClusterId = "pk-bench",
            Secret = Secret,
            Membership = ClusterMembership.Localhost(ports[0]),
            FailureDetection = detection,
            StartTimeout = TimeSpan.FromSeconds(180),
        };

        long t0 = Stopwatch.GetTimestamp();
        Task<JobServer> starting = ClusterJobServer.StartAsync(cluster._options with { SiloPort = ports[0], GatewayPort = ports[1], MinNodes = nodes, NodeName = "driver" });
        await WaitForListenerAsync(ports[0], starting, TimeSpan.FromSeconds(120));
        cluster.DriverListeningSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        for (int i = 0; i < nodes; i++)
        {
            cluster.StartNode();
        }

        try
        {
            cluster.Server = await starting;
        }
        catch
        {
            await cluster.StopNodesAsync();
            throw;
        }

        cluster.FormSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        cluster.NodeCpuSecondsAtForm = [.. cluster._nodes.Select(n => CpuSeconds(n.Pid))];
        cluster.DriverCpuSecondsAtForm = CpuSeconds(Environment.ProcessId);
        return cluster;
    }

    /// <summary>Starts one more node on free ports.</summary>
    public NodeProcess StartNode()
    {
        int[] ports = FreePorts(2);
        string name = $"n{++_nextNode}";
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        var start = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(exe), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ParallelKit.Benchmarks.dll"));
        }

        foreach (string argument in new[]
        {
            "cluster-node", "--silo", Text(ports[0]), "--gateway", Text(ports[1]), "--primary", Text(_primaryPort),
            "--workers", Text(_workers), "--name", name, "--detection", _options.FailureDetection.Name,
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PK_CLUSTER_SECRET"] = Secret;
        var node = new NodeProcess(name, Process.Start(start) ?? throw new InvalidOperationException("a node process did not start"));
        _nodes.Add(node);
        return node;
    }

    /// <summary>Waits until <paramref name="count"/> nodes are active in the driver's stats.</summary>
    public void WaitForActiveNodes(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (ActiveNodes() < count)
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"only {ActiveNodes()} of {count} nodes active after {timeout.TotalSeconds:F0} s");
            }

            Thread.Sleep(20);
        }
    }

    public int ActiveNodes() => Server.Stats.Nodes?.Count(n => n.State == NodeState.Active) ?? 0;

    public async ValueTask DisposeAsync()
    {
        // Nodes leave first (in parallel), then the driver, which holds localhost membership.
        await StopNodesAsync();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    private async Task StopNodesAsync()
    {
        foreach (NodeProcess node in _nodes)
        {
            node.Terminate();
        }

        await Task.WhenAll(_nodes.Select(n => Task.Run(n.WaitOrKill)));
        foreach (NodeProcess node in _nodes)
        {
            node.Dispose();
        }

        _nodes.Clear();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Free TCP ports on loopback.</summary>
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

    private static async Task WaitForListenerAsync(int port, Task starting, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (starting.IsFaulted)
            {
                await starting; // the driver's own error
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(20);
            }
        }
    }
}

/// <summary>A node process of a <see cref="LoopbackCluster"/>; its output goes to this process's standard error, prefixed with its name.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;

    public NodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        Pid = process.Id;
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) => Forward(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL, the node's process only (its workers notice their parent is gone).</summary>
    public void Kill() => _ = Native.Kill(Pid, Native.SIGKILL);

    /// <summary>SIGTERM: the node leaves the cluster in order.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = Native.Kill(Pid, Native.SIGTERM);
        }
    }

    public void WaitOrKill()
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Resident memory of the node process now, MB; NaN when gone.</summary>
    public double RssMb() => PeerSuite.ProcStatusMb(Pid.ToString(CultureInfo.InvariantCulture), "VmRSS");

    public void Dispose() => _process.Dispose();

    private void Forward(string? line)
    {
        if (line is not null)
        {
            Report.Log($"[{Name}] {line}");
        }
    }
}

/// <summary>Signals for nodes.</summary>
internal static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
