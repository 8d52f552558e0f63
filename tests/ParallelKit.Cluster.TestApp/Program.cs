using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using ParallelKit;
using ParallelKit.Cluster.TestApp;

// Usage:
//   app node   --silo P --gateway G --primary P0 [--secret S] [--workers N] [--tags a,b] [--name N] [--redis CFG]
//   (both) [--advertise IP] [--start-timeout S]
//   app driver --silo P0 --gateway G --primary P0 --scenario NAME [--nodes N] [--secret S] [--redis CFG] [--items N] [--delay MS]
var options = Args.Parse(args);
var cluster = new ClusterOptions
{
    ClusterId = options.Get("cluster", "pk-tests"),
    Secret = options.Get("secret", Environment.GetEnvironmentVariable("PK_CLUSTER_SECRET") ?? string.Empty),
    Membership = options.Has("redis") ? ClusterMembership.Redis(options.Get("redis", string.Empty)) : ClusterMembership.Localhost(options.Int("primary", 11111)),
    FailureDetection = FailureDetection.Fast,
    SiloPort = options.Int("silo", 11111),
    GatewayPort = options.Int("gateway", 30000),
    StartTimeout = TimeSpan.FromSeconds(options.Int("start-timeout", 60)),
    MaxMessageSize = options.Int("max-message", 32 * 1024 * 1024),
    Dashboard = options.Has("dashboard") ? new ClusterDashboard { Port = options.Int("dashboard", 8080) } : null,
    AdvertisedAddress = options.Has("advertise") ? System.Net.IPAddress.Parse(options.Get("advertise", "127.0.0.1")) : null,
};

if (args is ["node", ..])
{
    string name = options.Get("name", $"node{cluster.SiloPort}");
    Environment.SetEnvironmentVariable("PK_TEST_NODE", name);
    await ClusterNode.RunAsync(cluster with
    {
        Workers = options.Int("workers", 2),
        NodeName = name,
        Tags = options.Has("tags") ? options.Get("tags", string.Empty).Split(',') : [],
    });
    return 0;
}

JobServer server;
try
{
    server = await ClusterJobServer.StartAsync(cluster with { MinNodes = options.Int("nodes", 1), NodeName = "driver" });
}
catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or ArgumentException)
{
    Console.WriteLine($"START FAILED {ex.GetType().Name}: {ex.Message}");
    return 3;
}

await using var stopping = server;
Console.WriteLine("READY");
int items = options.Int("items", 200);
int delay = options.Int("delay", 20);
switch (options.Get("scenario", "map"))
{
    case "map":
    {
        Console.WriteLine("STARTED");
        long[] results = await server.MapAsync(Enumerable.Range(0, items), i => Work.Jobs.Square(i, delay));
        bool right = results.Select((r, i) => r == (long)i * i).All(ok => ok);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MAP {results.Length} {(right ? "correct" : "WRONG")}"));
        break;
    }

    case "stream":
    {
        // Results as they come, over the nodes: in order, then as completed with their indexes, then a loop left early.
        Console.WriteLine("STARTED");
        long expected = 0;
        bool inOrder = true;
        await foreach (long result in server.MapStreamAsync(Enumerable.Range(0, items), i => Work.Jobs.Square(i, delay)))
        {
            inOrder &= result == expected * expected;
            expected++;
        }

        var seen = new HashSet<long>();
        await foreach (MapResult<long> result in server.MapUnorderedAsync(Enumerable.Range(0, items), i => Work.Jobs.Square(i, delay)))
        {
            inOrder &= result.Result == result.Index * result.Index && seen.Add(result.Index);
        }

        int taken = 0;
        await foreach (long result in server.MapStreamAsync(Enumerable.Range(0, 1_000_000), i => Work.Jobs.Square(i, delay)))
        {
            if (++taken == 10)
            {
                break;
            }
        }

        bool right = inOrder && expected == items && seen.Count == items && taken == 10;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STREAM {expected} {(right ? "correct" : "WRONG")}"));
        break;
    }

    case "submit":
    {
        Job<long>[] jobs = [.. Enumerable.Range(0, items).Select(i => server.Submit(Work.Jobs.Square(i, delay)))];
        Console.WriteLine("STARTED");
        long[] results = await Task.WhenAll(jobs.Select(async j => await j));
        bool right = results.Select((r, i) => r == (long)i * i).All(ok => ok);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SUBMIT {results.Length} {(right ? "correct" : "WRONG")}"));
        break;
    }

    case "once":
    {
        Job<int> job = server.Submit(Work.Jobs.Once(7, delay));
        Console.WriteLine("STARTED");
        try
        {
            Console.WriteLine($"ONCE {await job}");
        }
        catch (JobFailedException ex)
        {
            Console.WriteLine($"ONCE FAILED {ex.RemoteType}: {ex.RemoteMessage}");
        }

        break;
    }

    case "throws":
    {
        try
        {
            await server.Submit(Work.Jobs.Throws("boom from a node"));
        }
        catch (JobFailedException ex)
        {
            Console.WriteLine($"THROWS {ex.RemoteType}: {ex.RemoteMessage}");
        }

        break;
    }

    case "tags":
    {
        string[] tagged = await Task.WhenAll(Enumerable.Range(0, items).Select(async _ => await server.Submit(Work.Jobs.WhereAmI().Requiring("gpu"))));
        Console.WriteLine($"REQUIRING {string.Join(",", tagged.Distinct().Order(StringComparer.Ordinal))} {tagged.Length}");
        string[] declared = await server.MapAsync(Enumerable.Range(0, items), _ => Work.Jobs.OnGpuNode());
        Console.WriteLine($"DECLARED {string.Join(",", declared.Distinct().Order(StringComparer.Ordinal))} {declared.Length}");
        try
        {
            await server.Submit(Work.Jobs.WhereAmI().Requiring("tpu"));
        }
        catch (JobFailedException ex)
        {
            Console.WriteLine($"NOTAG {ex.RemoteType}: {ex.RemoteMessage}");
        }

        break;
    }

    case "limits":
    {
        try
        {
            await server.Submit(Work.Jobs.Square(3, 30_000), TimeSpan.FromSeconds(1));
        }
        catch (JobTimeoutException ex)
        {
            Console.WriteLine($"TIMEOUT {ex.Timeout.TotalSeconds:F0} s");
        }

        using (var cancel = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            try
            {
                await server.Submit(Work.Jobs.Napper(30_000), cancel.Token);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("CANCELLED");
            }
        }

        try
        {
            await server.Submit(Work.Jobs.Length(new byte[2 * 1024 * 1024]));
        }
        catch (JobFailedException ex)
        {
            Console.WriteLine($"TOO LARGE {ex.RemoteType}");
        }

        Console.WriteLine($"AFTER {await server.Submit(Work.Jobs.Square(4, 0))}");
        break;
    }

    case "trace":
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name is "ParallelKit" or "cluster-tests",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var source = new System.Diagnostics.ActivitySource("cluster-tests");
        using (System.Diagnostics.Activity request = source.StartActivity("request")!)
        {
            string single = await server.Submit(Work.Jobs.CurrentTraceId());
            string[] mapped = await server.MapAsync(Enumerable.Range(0, 20), _ => Work.Jobs.CurrentTraceId());
            bool same = single == request.TraceId.ToString() && mapped.All(t => t == request.TraceId.ToString());
            Console.WriteLine($"TRACE {(same ? "continued" : $"LOST {request.TraceId} {single} {mapped[0]}")}");
        }

        break;
    }

    case "long":
        // Longer than Orleans' default response time-out (30 s): ParallelKit's own limits govern a job, not Orleans'.
        Console.WriteLine($"LONG {await server.Submit(Work.Jobs.Square(5, options.Int("delay", 32_000)))}");
        break;

    case "hold":
        // Stays up (for the dashboard test) until killed or the time is up.
        await Task.Delay(TimeSpan.FromSeconds(options.Int("hold", 60)));
        break;

    case "spread":
    {
        string[] where = await server.MapAsync(Enumerable.Range(0, items), _ => Work.Jobs.WhereAmI());
        foreach (var group in where.GroupBy(w => w).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"RAN {group.Key} {group.Count()}");
        }

        break;
    }
}

Console.WriteLine(server.Stats);
Console.WriteLine("DONE");
return 0;

/// <summary>--name value pairs.</summary>
internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new Args(values);
    }

    public bool Has(string name) => values.ContainsKey(name);

    public string Get(string name, string fallback) => values.TryGetValue(name, out string? v) ? v : fallback;

    public int Int(string name, int fallback) => values.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
