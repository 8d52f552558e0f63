using System;
using System.Threading;
using Xunit;

namespace ParallelKit.Cluster.Tests;

/// <summary>Clusters whose membership lives in a real redis-server: nodes outlive drivers.</summary>
[Collection(nameof(ClusterProcesses))]
public sealed class RedisMembershipTests
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(120);

    [Fact]
    public void Nodes_in_a_redis_cluster_serve_a_second_driver_after_the_first_is_killed()
    {
        using var redis = new RedisServer();
        using var cluster = new TestCluster(nodes: 2, redis.Configuration);
        cluster.StartNode(1);
        cluster.StartNode(2);

        ClusterProcess first = cluster.StartDriverAt(0, "map", nodes: 2, "--items", "600", "--delay", "40");
        first.WaitForOutput("STARTED", Run);
        Thread.Sleep(1000);
        first.Signal(Native.SIGKILL);

        ClusterProcess second = cluster.StartDriverAt(cluster.SpareDriverPair, "map", nodes: 2, "--items", "300", "--delay", "1");
        second.WaitForOutput("DONE", Run);
        Assert.Contains("MAP 300 correct", second.Output, StringComparison.Ordinal);
        Assert.Matches(@"\| n1 \(127\.0\.0\.1:\d+\)\r?\n", second.Output);
        Assert.Matches(@"\| n2 \(127\.0\.0\.1:\d+\)\r?\n", second.Output);
    }

    [Fact]
    public void A_driver_whose_redis_is_unreachable_fails_saying_so()
    {
        int closed = ClusterProcess.FreePorts(1)[0];
        using var cluster = new TestCluster(nodes: 0, $"127.0.0.1:{closed},password=whatever-password");
        ClusterProcess driver = cluster.StartDriverWithoutWaiting("map", "--start-timeout", "15");
        driver.WaitForOutput("START FAILED", Run);
        Assert.Contains("could not start", driver.Output, StringComparison.Ordinal);
        Assert.Contains($"Redis membership at 127.0.0.1:{closed},password=***", driver.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("whatever-password", driver.Output, StringComparison.Ordinal);
    }
}
