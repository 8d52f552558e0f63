using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>Members of a network in OS processes of their own: the same process code, ends passed by handle.</summary>
public sealed class OsProcessTests
{
    [Fact]
    public async Task A_member_in_its_own_OS_process_takes_part_in_the_pipeline_unchanged()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(a.Writer(), 0, 200),
            Net.Processes.Succ(a.Reader(), b.Writer()).InOsProcess(),
            Net.Processes.Collect(b.Reader()));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), (List<long>)results[2]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_OS_process_member_that_waits_or_computes_before_its_first_channel_operation_does_not_hold_back_the_others(bool compute)
    {
        // The in-process members start once the OS process member's first channel operation is done, or once it has
        // computed for a while, or waited for a while: not never (the member waits for what an in-process one does).
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pk-csp-start-{Guid.NewGuid():N}");
        try
        {
            var c = CspChannel.Create<long>();

            object?[] results = await Csp.Parallel(
                Net.Processes.WaitForFileThenWrite(c.Writer(), path, compute).InOsProcess(),
                Net.Processes.MakeFileThenRead(c.Reader(), path)).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

            Assert.Equal(1L, results[1]);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public async Task An_OS_process_member_runs_in_another_process_and_returns_its_result()
    {
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Pid(c.Writer()).InOsProcess(),
            Net.Processes.Collect(c.Reader()));

        int childPid = Assert.IsType<int>(results[0]);
        Assert.NotEqual(Environment.ProcessId, childPid);
        Assert.Equal([(long)childPid], (List<long>)results[1]!);
    }

    [Fact]
    public async Task An_OS_process_member_starts_with_the_workers_runtime_settings_and_hides_them_from_processes_it_starts()
    {
        // Only where the user has not set them (this test process has not): the parent's own choice would be kept.
        Assert.Null(Environment.GetEnvironmentVariable("DOTNET_TieredPGO"));
        Assert.Null(Environment.GetEnvironmentVariable("DOTNET_TC_CallCountingDelayMs"));
        foreach ((string name, string expected) in new[] { ("DOTNET_TieredPGO", "-|0"), ("DOTNET_TC_CallCountingDelayMs", "-|0"), ("PARALLELKIT_WORKER_TUNED", "-|TC_CallCountingDelayMs,TieredPGO") })
        {
            var c = CspChannel.Create<long>();
            object?[] results = await Csp.Parallel(
                Net.Processes.Variable(c.Writer(), name).InOsProcess(),
                Net.Processes.Collect(c.Reader()));
            Assert.Equal(expected, results[0]);
            Assert.NotEqual(Environment.ProcessId, (int)((List<long>)results[1]!)[0]);
        }
    }

    [Fact]
    public async Task An_alternation_in_an_OS_process_chooses_between_the_ends_it_was_given()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        var output = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(a.Writer(), 0, 20),
            Net.Processes.Producer(b.Writer(), 100, 20),
            Net.Processes.AltEcho(a.Reader(), b.Reader(), output.Writer(), 40).InOsProcess(),
            Net.Processes.Collect(output.Reader()));

        var echoed = (List<long>)results[3]!;
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), echoed.Where(v => v < 1000));
        Assert.Equal(Enumerable.Range(100, 20).Select(i => 1000L + i), echoed.Where(v => v >= 1000));
    }

    [Fact]
    public async Task Replicated_OS_process_members_each_get_their_own_ends()
    {
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(c.Writer(), 1, 10).Replicate(2).InOsProcess(),
            Net.Processes.Sum(c.Reader()));

        Assert.Equal(2 * Enumerable.Range(1, 10).Sum(), (long)results[1]!);
    }

    [Fact]
    public async Task A_failure_in_an_OS_process_surfaces_in_Parallel_with_its_type_and_message()
    {
        var c = CspChannel.Create<long>();

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => Csp.Parallel(
            Net.Processes.Producer(c.Writer(), 0, 1),
            Net.Processes.Fail(c.Reader(), "far away").InOsProcess()));

        JobFailedException failure = Assert.IsType<JobFailedException>(Assert.Single(error.InnerExceptions));
        Assert.Equal(typeof(InvalidOperationException).FullName, failure.RemoteType);
        Assert.Equal("far away", failure.RemoteMessage);
    }

    [Fact]
    public async Task A_SIGKILLed_member_has_its_ends_poisoned_and_Parallel_says_how_it_died()
    {
        var pids = CspChannel.Create<long>();
        var input = CspChannel.Create<long>();

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => Csp.Parallel(
            Net.Processes.PidThenReadForever(pids.Writer(), input.Reader()).InOsProcess(),
            Net.Processes.KillWhenPid(pids.Reader()),
            Net.Processes.WriteForever(input.Writer())));

        CspProcessDiedException died = Assert.IsType<CspProcessDiedException>(Assert.Single(error.InnerExceptions));
        Assert.Equal("ParallelKit.CspTests.Net.PidThenReadForever", died.ProcessName);
        Assert.Equal(9, died.Signal);
        Assert.True(input.IsPoisoned);
    }

    [Fact]
    public async Task A_member_killed_while_a_ring_across_processes_runs_at_full_speed_has_its_ends_poisoned()
    {
        // The successor is killed while the ring runs: both processes' doorbells ring every cycle, and the owner's
        // runs the continuations it wakes (and the hand-offs they make) when the kill lands.
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        var c = CspChannel.Create<long>();
        var d = CspChannel.Create<long>();
        var pids = CspChannel.Create<long>();

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => Csp.Parallel(
            Net.Processes.Prefix(c.Reader(), a.Writer(), 0),
            Net.Processes.Delta(a.Reader(), b.Writer(), d.Writer()),
            Net.Processes.SuccThenPid(d.Reader(), c.Writer(), pids.Writer(), 2_000).InOsProcess(),
            Net.Processes.ReadForever(b.Reader()),
            Net.Processes.KillWhenPid(pids.Reader())));

        CspProcessDiedException died = Assert.IsType<CspProcessDiedException>(Assert.Single(error.InnerExceptions));
        Assert.Equal("ParallelKit.CspTests.Net.SuccThenPid", died.ProcessName);
        Assert.Equal(9, died.Signal);
        Assert.True(c.IsPoisoned);
        Assert.True(d.IsPoisoned);
    }

    [Fact]
    public async Task A_member_that_exits_from_inside_is_reported_with_its_exit_code()
    {
        var c = CspChannel.Create<long>();

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => Csp.Parallel(
            Net.Processes.WriteForever(c.Writer()),
            Net.Processes.Die(c.Reader()).InOsProcess()));

        CspProcessDiedException died = Assert.IsType<CspProcessDiedException>(Assert.Single(error.InnerExceptions));
        Assert.Equal(3, died.ExitCode);
        Assert.Null(died.Signal);
    }

    [Fact]
    public async Task An_output_guard_in_an_OS_process_writes_its_value_when_chosen()
    {
        var c = CspChannel.Create<long>();
        var idle = CspChannel.Create<long>();
        ChannelOut<long> idleWriter = idle.Writer();

        object?[] results = await Csp.Parallel(
            Net.Processes.OfferUntilTaken(c.Writer(), idle.Reader(), 42).InOsProcess(),
            Net.Processes.Collect(c.Reader()));

        Assert.Equal(1, results[0]);
        Assert.Equal([42L], (List<long>)results[1]!);
        GC.KeepAlive(idleWriter);
    }

    [Fact]
    public async Task Poison_from_an_OS_process_reaches_the_rest_of_the_network()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.PoisonAfter(a.Writer(), 5).InOsProcess(),
            Net.Processes.Succ(a.Reader(), b.Writer()),
            Net.Processes.ReadForever(b.Reader()));

        Assert.Equal(3, results.Length);
        Assert.True(a.IsPoisoned);
        Assert.True(b.IsPoisoned);
    }

    [Fact]
    public async Task A_value_that_cannot_be_marshaled_fails_its_writer_with_the_channel_and_the_type_named()
    {
        // PK4004 reports this at build time where .InOsProcess() is called on the description (or a local holding it);
        // through a method's result it does not look, and the run must still fail clearly, not hang.
        var c = CspChannel.Create<PlainBox>(name: "plain");
        CspProcessCall inItsOwnProcess = Unseen(Net.Processes.ReadPlain(c.Reader())).InOsProcess();

        var failed = await Assert.ThrowsAsync<AggregateException>(
            () => Csp.Parallel(inItsOwnProcess, Net.Processes.WritePlain(c.Writer())).WaitAsync(TimeSpan.FromSeconds(60)));

        var refused = Assert.Single(failed.InnerExceptions.OfType<InvalidOperationException>());
        Assert.Contains("'plain'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(PlainBox), refused.Message, StringComparison.Ordinal);
        Assert.Contains("[MemoryPackable]", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A process description the analyzers do not follow (a method's result).</summary>
    private static CspProcessCall Unseen(CspProcessCall process) => process;
}
