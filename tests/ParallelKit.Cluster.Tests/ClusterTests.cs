using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Cluster.Tests;

/// <summary>Every test here starts real processes (a driver and nodes) on loopback; they run one at a time.</summary>
[CollectionDefinition(nameof(ClusterProcesses), DisableParallelization = true)]
public sealed class ClusterProcesses;

/// <summary>A map over three nodes and a driver, with nodes killed and hung mid-run; refusals; failures that name the node.</summary>
[Collection(nameof(ClusterProcesses))]
public sealed class ClusterTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(120);

    [Fact]
    public void A_map_over_three_nodes_finishes_with_every_result_when_one_node_is_killed_and_another_hangs()
    {
        using var cluster = new TestCluster(nodes: 3);
        ClusterProcess driver = cluster.StartDriver("map", nodes: 3, "--items", "1200", "--delay", "30");
        ClusterProcess killed = cluster.StartNode(1);
        ClusterProcess hung = cluster.StartNode(2);
        cluster.StartNode(3);

        driver.WaitForOutput("STARTED", Start);
        Thread.Sleep(1500); // every slot holds a chunk by now: 1,200 items of 30 ms over 6 workers take ~6 s
        killed.Signal(Native.SIGKILL);
        hung.Signal(Native.SIGSTOP);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("MAP 1200 correct", driver.Output, StringComparison.Ordinal);
        Assert.Contains("n1 (127.0.0.1:", driver.Output, StringComparison.Ordinal);
        Assert.Matches(@"\| n1 \(127\.0\.0\.1:\d+\), dead", driver.Output);
        Assert.Matches(@"\| n2 \(127\.0\.0\.1:\d+\), dead", driver.Output);
        Assert.Matches(@"\| n3 \(127\.0\.0\.1:\d+\)\r?\n", driver.Output);
        Assert.Matches(@"1 nodes, 2 workers, [1-9]\d* retries", driver.Output);
        Assert.Equal(0, driver.WaitForExit(Run));
    }

    [Fact]
    public void Streaming_maps_run_over_the_nodes_in_order_as_completed_and_stop_when_the_loop_is_left()
    {
        using var cluster = new TestCluster(nodes: 2);
        ClusterProcess driver = cluster.StartDriver("stream", nodes: 2, "--items", "300", "--delay", "2");
        cluster.StartNode(1);
        cluster.StartNode(2);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("STREAM 300 correct", driver.Output, StringComparison.Ordinal);
        Assert.Equal(0, driver.WaitForExit(Run));
    }

    [Fact]
    public void Single_jobs_spread_over_the_nodes_and_come_back_in_order()
    {
        using var cluster = new TestCluster(nodes: 2);
        ClusterProcess driver = cluster.StartDriver("submit", nodes: 2, "--items", "400", "--delay", "5");
        cluster.StartNode(1);
        cluster.StartNode(2);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("SUBMIT 400 correct", driver.Output, StringComparison.Ordinal);
        Assert.Matches(@"\s+[1-9]\d* \|.*\| n1 \(", driver.Output);
        Assert.Matches(@"\s+[1-9]\d* \|.*\| n2 \(", driver.Output);
    }

    [Fact]
    public void A_node_that_joins_mid_map_takes_work_at_once()
    {
        using var cluster = new TestCluster(nodes: 2);
        ClusterProcess driver = cluster.StartDriver("map", nodes: 1, "--items", "1200", "--delay", "25");
        cluster.StartNode(1);
        driver.WaitForOutput("STARTED", Start);
        cluster.StartNode(2);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("MAP 1200 correct", driver.Output, StringComparison.Ordinal);
        Assert.Matches(@"\s+[1-9]\d* \|.*\| n2 \(127\.0\.0\.1:\d+\)\r?\n", driver.Output);
        Assert.Contains("2 nodes, 4 workers", driver.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_limits_cancellation_and_message_limits_work_on_a_cluster_as_on_a_local_server()
    {
        using var cluster = new TestCluster(nodes: 1);
        ClusterProcess driver = cluster.StartDriver("limits", nodes: 1, "--max-message", "1048576");
        cluster.StartNode(1);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("TIMEOUT 1 s", driver.Output, StringComparison.Ordinal);
        Assert.Contains("CANCELLED", driver.Output, StringComparison.Ordinal);
        Assert.Contains("TOO LARGE ParallelKit.MessageTooLargeException", driver.Output, StringComparison.Ordinal);
        Assert.Contains("AFTER 16", driver.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_that_dies_during_its_own_start_is_passed_over()
    {
        using var cluster = new TestCluster(nodes: 2);
        ClusterProcess driver = cluster.StartDriver("map", nodes: 1, "--items", "200", "--delay", "1");
        ClusterProcess doomed = cluster.StartNode(1);
        WaitUntil(() => doomed.Error.Contains("ParallelKit", StringComparison.Ordinal) || doomed.Output.Length > 0, TimeSpan.FromSeconds(2));
        doomed.Signal(Native.SIGKILL);
        cluster.StartNode(2);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("MAP 200 correct", driver.Output, StringComparison.Ordinal);

        // n2 ran the work; under load the doomed node may have joined and delivered a few results before the kill,
        // which are kept (so n2's count is not always all 200).
        Assert.Matches(@"\s+[1-9]\d* \|.*\| n2 \(127\.0\.0\.1:\d+\)\r?\n", driver.Output);
    }

    [Fact]
    public void A_job_longer_than_orleans_response_timeout_still_completes()
    {
        using var cluster = new TestCluster(nodes: 1);
        ClusterProcess driver = cluster.StartDriver("long", nodes: 1, "--delay", "32000");
        cluster.StartNode(1);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("LONG 25", driver.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_jobs_trace_continues_on_its_node()
    {
        using var cluster = new TestCluster(nodes: 1);
        ClusterProcess driver = cluster.StartDriver("trace", nodes: 1);
        cluster.StartNode(1);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("TRACE continued", driver.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_jobs_exception_comes_back_from_its_node()
    {
        using var cluster = new TestCluster(nodes: 1);
        ClusterProcess driver = cluster.StartDriver("throws", nodes: 1);
        cluster.StartNode(1);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("THROWS System.InvalidOperationException: boom from a node", driver.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_false_job_on_a_killed_node_fails_naming_the_node()
    {
        using var cluster = new TestCluster(nodes: 2);
        ClusterProcess driver = cluster.StartDriver("once", nodes: 1, "--delay", "20000");
        ClusterProcess node = cluster.StartNode(1);

        driver.WaitForOutput("STARTED", Start);
        Thread.Sleep(1500);
        node.Signal(Native.SIGKILL);

        driver.WaitForOutput("DONE", Run);
        Assert.Matches(@"ONCE FAILED ParallelKit\.NodeLostException: node n1 \(127\.0\.0\.1:\d+\) died \(the cluster declared it dead\) while running the job \(attempt 1 of 3; the job is \[ParallelJob\(Retry = false\)\], so it was not run again\)", driver.Output);
    }

    [Fact]
    public void A_node_with_another_secret_is_refused_and_both_sides_say_so()
    {
        using var cluster = new TestCluster(nodes: 1);
        ClusterProcess driver = cluster.StartDriver("map", nodes: 1, "--start-timeout", "20");
        ClusterProcess stranger = cluster.StartNode(1, secret: "another-secret-not-the-clusters");

        driver.WaitForOutput("START FAILED", Run);
        Assert.Contains("START FAILED TimeoutException: Only 0 of the 1 node(s)", driver.Output, StringComparison.Ordinal);
        Assert.Contains("refused a connection: the peer's certificate", driver.Error, StringComparison.Ordinal);
        WaitUntil(() => stranger.Error.Contains("refused a connection: the peer's certificate", StringComparison.Ordinal) || stranger.HasExited, Run);
        Assert.Contains("refused a connection: the peer's certificate", stranger.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_of_another_build_is_refused_and_both_sides_name_both_builds()
    {
        using var cluster = new TestCluster(nodes: 1);
        ClusterProcess driver = cluster.StartDriver("map", nodes: 1, "--start-timeout", "30");
        ClusterProcess other = cluster.StartNode(1, otherBuild: true);

        driver.WaitForOutput("START FAILED", Run);
        Assert.Contains("n1 (127.0.0.1:", driver.Output, StringComparison.Ordinal);
        Assert.Contains("refused", driver.Output, StringComparison.Ordinal);
        Assert.Matches(@"Refused node n1 \(127\.0\.0\.1:\d+\): node n1 runs build ParallelKit\.Cluster\.TestApp\.OtherBuild .*, but driver driver \(127\.0\.0\.1:\d+@\d+\) runs build ParallelKit\.Cluster\.TestApp ", driver.Error);
        WaitUntil(() => other.Error.Contains("Refused a driver", StringComparison.Ordinal), Run);
        Assert.Matches(@"Refused a driver: node n1 runs build ParallelKit\.Cluster\.TestApp\.OtherBuild .*, but driver driver .* runs build ParallelKit\.Cluster\.TestApp ", other.Error);
    }

    [Fact]
    public void Jobs_that_need_a_tag_run_only_on_nodes_with_it_and_fail_clearly_where_no_node_has_it()
    {
        using var cluster = new TestCluster(nodes: 2);
        ClusterProcess driver = cluster.StartDriver("tags", nodes: 2, "--items", "40");
        cluster.StartNode(1, more: ["--tags", "cpu"]);
        cluster.StartNode(2, more: ["--tags", "gpu,fast"]);

        driver.WaitForOutput("DONE", Run);
        Assert.Contains("REQUIRING n2 40", driver.Output, StringComparison.Ordinal);
        Assert.Contains("DECLARED n2 40", driver.Output, StringComparison.Ordinal);
        Assert.Matches(@"NOTAG ParallelKit\.NoMatchingNodeException: the job needs a node tagged 'tpu', and no node of cluster 'pk-tests' has that tag \(active nodes: (n1 \[cpu\], n2 \[gpu,fast\]|n2 \[gpu,fast\], n1 \[cpu\])\)", driver.Output);
        Assert.Matches(@"\| n2 \(127\.0\.0\.1:\d+\) \[gpu,fast\]", driver.Output);
    }

    [Fact]
    public void The_cluster_sample_sums_primes_over_three_nodes_with_one_killed()
    {
        using ClusterProcess sample = ClusterProcess.StartBuilt("Samples", "Cluster");
        Assert.Equal(0, sample.WaitForExit(TimeSpan.FromMinutes(4)));
        string output = sample.Output;
        Assert.Contains("Cluster 'primes' is up: 3 nodes, 6 workers", output, StringComparison.Ordinal);
        Assert.Contains("Sum of primes below 100000 is 454396537", output, StringComparison.Ordinal);
        Assert.Contains("Sum of primes below 100700 is 460217613", output, StringComparison.Ordinal);
        Assert.Matches(@"Killing node2 \(pid \d+\) with \d+ jobs to go", output);
        Assert.Contains("Sum of primes below 4000000 is 544501644261 (96 jobs,", output, StringComparison.Ordinal);
        Assert.Matches(@"\| node2 \(127\.0\.0\.1:\d+\), dead", output);
        Assert.Matches(@"2 nodes, 4 workers, \d+ retries", output);
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < timeout)
        {
            Thread.Sleep(100);
        }
    }
}

/// <summary>Bad options get a clear error before anything starts.</summary>
public sealed class ClusterOptionsTests
{
    [Fact]
    public async Task No_secret_no_cluster()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => ClusterJobServer.StartAsync(new ClusterOptions()));
        Assert.Contains("ClusterOptions.Secret is required", error.Message, StringComparison.Ordinal);
        error = await Assert.ThrowsAsync<ArgumentException>(() => ClusterNode.RunAsync(new ClusterOptions { SiloPort = 11112 }));
        Assert.Contains("ClusterOptions.Secret is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_secret_is_refused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => ClusterJobServer.StartAsync(new ClusterOptions { Secret = "short" }));
        Assert.Contains("at least 12 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_membership_without_a_password_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => ClusterMembership.Redis("127.0.0.1:6379"));
        Assert.Contains("has no password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ClusterMembership.Redis("127.0.0.1:6379,password=hunter2").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_localhost_membership_the_driver_must_be_the_primary()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => ClusterJobServer.StartAsync(
            new ClusterOptions { Secret = "0123456789abcdef", Membership = ClusterMembership.Localhost(11111), SiloPort = 11112, GatewayPort = 30001 }));
        Assert.Contains("the driver is the primary silo", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_that_needs_a_tag_fails_clearly_on_a_server_of_this_machine()
    {
        await using JobServer server = JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, Workers = 1 });
        var error = await Assert.ThrowsAsync<JobFailedException>(async () => await server.Submit(LocalJobs.Jobs.Twice(2).Requiring("gpu")));
        Assert.Equal(JobFailedException.NoMatchingNode, error.RemoteType);
        Assert.Contains("needs a node tagged 'gpu'", error.RemoteMessage, StringComparison.Ordinal);
        Assert.Equal(4, await server.Submit(LocalJobs.Jobs.Twice(2)));
        Assert.Throws<ArgumentException>(() => LocalJobs.Jobs.Twice(2).Requiring("no spaces"));
    }

    [Fact]
    public void A_cluster_server_cannot_be_started_as_a_local_one()
    {
        var error = Assert.Throws<ArgumentException>(() => JobServer.Start(new JobServerOptions { Backend = JobBackend.Cluster }));
        Assert.Contains("ClusterJobServer.StartAsync", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A job for the in-process checks.</summary>
public static partial class LocalJobs
{
    /// <summary>Doubles.</summary>
    [ParallelJob]
    public static int Twice(int value) => 2 * value;
}
