// Parallel Python's cluster example: sum_primes over the nodes of a cluster, with one node killed mid-run.
//
//   dotnet run --project Samples/Cluster                     the demo: a driver and three local nodes (this program, started
//                                                            three more times), node 2 killed mid-run; stats per node
//   PK_CLUSTER_SECRET=… dotnet run -- node 1 --redis HOST:6379,password=…    a node on any machine (see README)
//   PK_CLUSTER_SECRET=… dotnet run -- driver --redis HOST:6379,password=…    the driver, once nodes run
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using ClusterSample;
using ParallelKit;

string secret = Environment.GetEnvironmentVariable("PK_CLUSTER_SECRET") ?? string.Empty;
string? redis = Option(args, "--redis");
int primaryPort = int.Parse(Option(args, "--primary") ?? "11111", CultureInfo.InvariantCulture);
var cluster = new ClusterOptions
{
    ClusterId = "primes",
    Secret = secret,
    Membership = redis is null ? ClusterMembership.Localhost(primarySiloPort: primaryPort) : ClusterMembership.Redis(redis),
    FailureDetection = FailureDetection.Fast,
};

if (args is ["node", var n, ..])
{
    // A node: its own ports (several nodes can share a machine), its worker processes, until SIGTERM.
    int i = int.Parse(n, CultureInfo.InvariantCulture);
    int silo = int.Parse(Option(args, "--silo") ?? (11111 + i).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    int gateway = int.Parse(Option(args, "--gateway") ?? (30000 + i).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    await ClusterNode.RunAsync(cluster with { SiloPort = silo, GatewayPort = gateway, NodeName = $"node{i}", Workers = 2 });
    return 0;
}

List<Process> local = [];
if (args is not ["driver", ..])
{
    // The demo: this machine plays the whole cluster. A secret made for this run only; ports the OS says are free.
    secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    int[] ports = FreePorts(8);
    primaryPort = ports[0];
    cluster = cluster with { Secret = secret, Membership = ClusterMembership.Localhost(primarySiloPort: primaryPort) };
    Console.WriteLine("Starting a driver and 3 nodes on this machine (each node: 2 worker processes)");
    for (int i = 1; i <= 3; i++)
    {
        local.Add(StartNode(i, ports[2 * i], ports[(2 * i) + 1], primaryPort, secret));
    }

    cluster = cluster with { SiloPort = ports[0], GatewayPort = ports[1] };
}
else
{
    cluster = cluster with { SiloPort = primaryPort, GatewayPort = 30000 };
}

try
{
    await using JobServer server = await ClusterJobServer.StartAsync(cluster with { MinNodes = local.Count > 0 ? 3 : 1, NodeName = "driver" });
    Console.WriteLine($"Cluster '{cluster.ClusterId}' is up: {server.Stats.Nodes!.Count} nodes, {server.Stats.Nodes.Sum(x => x.Workers)} workers");

    // pp: jobs = [(input, job_server.submit(sum_primes, (input,))) for input in inputs]
    int[] inputs = [100_000, 100_100, 100_200, 100_300, 100_400, 100_500, 100_600, 100_700];
    foreach (var (input, job) in inputs.Select(input => (input, server.Submit(PrimeJobs.Jobs.SumPrimesBetween(0, input)))).ToList())
    {
        Console.WriteLine($"Sum of primes below {input} is {await job}");
    }

    // The same over many jobs: [0, 4,000,000) in 96 jobs; node 2 is killed once a fifth of them are done.
    const int limit = 4_000_000;
    const int chunks = 96;
    var ranges = Enumerable.Range(0, chunks).Select(c => (From: c * (limit / chunks), To: c == chunks - 1 ? limit : (c + 1) * (limit / chunks))).ToArray();
    var clock = Stopwatch.StartNew();
    int done = 0;
    Task<long>[] jobs = [.. ranges.Select(r => AwaitAndCount(server.Submit(PrimeJobs.Jobs.SumPrimesBetween(r.From, r.To))))];
    if (local.Count == 3)
    {
        while (Volatile.Read(ref done) < chunks / 5)
        {
            await Task.Delay(10);
        }

        Console.WriteLine($"Killing node2 (pid {local[1].Id}) with {chunks - Volatile.Read(ref done)} jobs to go");
        local[1].Kill();
    }

    long[] sums = await Task.WhenAll(jobs);
    Console.WriteLine($"Sum of primes below {limit} is {sums.Sum()} ({chunks} jobs, {clock.Elapsed.TotalSeconds:F2} s)");
    Console.WriteLine();
    Console.WriteLine(server.Stats);

    async Task<long> AwaitAndCount(Job<long> job)
    {
        long sum = await job;
        Interlocked.Increment(ref done);
        return sum;
    }
}
finally
{
    foreach (Process node in local)
    {
        if (!node.HasExited)
        {
            node.Kill();
        }

        node.WaitForExit();
        node.Dispose();
    }
}

return 0;

static string? Option(string[] args, string name)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

static Process StartNode(int index, int silo, int gateway, int primary, string secret)
{
    // This same program as a node: `app node <i>`, or `dotnet app.dll node <i>` when run through the dotnet host.
    string host = Environment.ProcessPath!;
    var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardError = true };
    if (Path.GetFileNameWithoutExtension(host) == "dotnet")
    {
        start.ArgumentList.Add(typeof(PrimeJobs).Assembly.Location);
    }

    foreach (string argument in (string[])["node", index.ToString(CultureInfo.InvariantCulture), "--silo", silo.ToString(CultureInfo.InvariantCulture),
                 "--gateway", gateway.ToString(CultureInfo.InvariantCulture), "--primary", primary.ToString(CultureInfo.InvariantCulture)])
    {
        start.ArgumentList.Add(argument);
    }

    start.Environment["PK_CLUSTER_SECRET"] = secret;
    var process = Process.Start(start)!;
    process.ErrorDataReceived += (_, _) => { }; // the nodes' logs stay out of the demo's output
    process.BeginErrorReadLine();
    return process;
}

static int[] FreePorts(int count)
{
    var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
    listeners.ForEach(l => l.Start());
    int[] ports = [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
    listeners.ForEach(l => l.Stop());
    return ports;
}
