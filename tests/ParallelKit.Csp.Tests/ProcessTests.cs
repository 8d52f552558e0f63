using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>Parallel, Sequence, Spawn and Replicate in one OS process; propagation; failures that must not hang.</summary>
public sealed class CspProcessTests
{
    [Fact]
    public async Task A_pipeline_runs_and_returns_its_results()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>(buffer: 4);

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(a.Writer(), 10, 100),
            Net.Processes.Succ(a.Reader(), b.Writer()),
            Net.Processes.Collect(b.Reader()));

        Assert.Equal(3, results.Length);
        Assert.Null(results[0]);
        Assert.Equal(Enumerable.Range(11, 100).Select(i => (long)i), (List<long>)results[2]!);
    }

    [Fact]
    public async Task A_process_that_blocks_its_thread_before_its_first_wait_does_not_keep_the_others_from_starting()
    {
        // The members start in order from one thread, each up to its first wait; the first here blocks that thread
        // until the third runs, which another thread starts meanwhile.
        Net.CollectorStarted.Reset();
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.BlockBeforeFirstWait(),
            Net.Processes.Producer(c.Writer(), 0, 3),
            Net.Processes.SignalThenCollect(c.Reader())).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.True((bool)results[0]!);
        Assert.Equal([0L, 1, 2], (List<long>)results[2]!);
    }

    [Fact]
    public async Task Blocking_processes_get_threads_of_their_own_and_retire_propagates_to_the_end_of_the_pipeline()
    {
        // Ten blocking producers (each holds a thread while it waits) into one summing reader.
        var c = CspChannel.Create<long>();
        CspProcessCall[] producers = [.. Enumerable.Range(0, 10).Select(i => Net.Processes.BlockingProducer(c.Writer(), i * 1000, 100))];
        var sum = Net.Processes.Sum(c.Reader());

        object?[] results = await Csp.Parallel([.. producers, sum]);

        long expected = Enumerable.Range(0, 10).SelectMany(i => Enumerable.Range(i * 1000, 100)).Sum(v => (long)v);
        Assert.Equal(expected, results[^1]);
    }

    [Fact]
    public async Task A_process_that_throws_ends_Parallel_with_its_exception_and_poisons_the_rest()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => Csp.Parallel(
            Net.Processes.Producer(a.Writer(), 0, 1),
            Net.Processes.Fail(a.Reader(), "boom"),
            Net.Processes.ReadForever(b.Reader()),
            Net.Processes.WriteForever(b.Writer()),
            Net.Processes.WaitForCancel()));

        InvalidOperationException failure = Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
        Assert.Equal("boom", failure.Message);
        Assert.True(b.IsPoisoned);
    }

    [Fact]
    public async Task Poison_ends_a_network_normally_and_propagates_through_it()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.PoisonAfter(a.Writer(), 5),
            Net.Processes.Succ(a.Reader(), b.Writer()),
            Net.Processes.ReadForever(b.Reader()));

        Assert.Equal(3, results.Length);
        Assert.True(b.IsPoisoned);
    }

    [Fact]
    public async Task Replicate_runs_copies_with_ends_of_their_own_and_retire_waits_for_every_copy()
    {
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(c.Writer(), 1, 50).Replicate(4),
            Net.Processes.Sum(c.Reader()));

        Assert.Equal(4 * Enumerable.Range(1, 50).Sum(), (long)results[1]!);
        Assert.Equal(4, ((object?[])results[0]!).Length);
    }

    [Fact]
    public async Task Sequence_runs_one_process_after_another()
    {
        var c = CspChannel.Create<long>(buffer: 10);

        object?[] results = await Csp.Sequence(
            Net.Processes.Producer(c.Writer(), 0, 5),
            Net.Processes.Sum(c.Reader()));

        Assert.Equal(10L, results[1]);
    }

    [Fact]
    public async Task A_spawned_process_is_awaited_when_its_spawner_ends()
    {
        var first = CspChannel.Create<long>();
        var spawned = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Spawner(first.Writer(), spawned.Writer()),
            Net.Processes.Collect(first.Reader()),
            Net.Processes.Collect(spawned.Reader()));

        Assert.Equal([1L], (List<long>)results[1]!);
        Assert.Equal([100L, 101L, 102L], (List<long>)results[2]!);
    }

    [Fact]
    public async Task A_process_that_ends_retires_its_ends_so_a_writer_is_not_left_waiting()
    {
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.WriteForever(c.Writer()),
            Net.Processes.ReadOnce(c.Reader()));

        Assert.Equal(1, results[1]);
    }

    [Fact]
    public async Task Propagate_false_leaves_the_ends_to_the_process()
    {
        var c = CspChannel.Create<long>(buffer: 1);
        ChannelOut<long> writer = c.Writer();
        writer.Write(1);

        await Csp.Parallel(Net.Processes.Quiet(c.Reader()));

        writer.Write(2); // the reader end was not retired: the channel still takes writes
        Assert.False(c.IsPoisoned);
    }

    [Fact]
    public async Task The_same_end_given_to_two_processes_is_refused()
    {
        var c = CspChannel.Create<long>();
        ChannelIn<long> reader = c.Reader();

#pragma warning disable PK4006 // The run-time refusal is what this test checks; PK4006 says the same at compile time.
        await Assert.ThrowsAsync<ArgumentException>(() => Csp.Parallel(Net.Processes.Sum(reader), Net.Processes.Collect(reader)));
#pragma warning restore PK4006
    }

    [Fact]
    public async Task A_description_runs_once()
    {
        var c = CspChannel.Create<long>(buffer: 1);
        CspProcessCall producer = Net.Processes.Producer(c.Writer(), 0, 1);
        await Csp.Parallel(producer);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Csp.Parallel(producer));
    }

    [Fact]
    public async Task Cancelling_a_deadlocked_network_poisons_it_so_every_process_ends()
    {
        // A cycle of two processes, each reading before it writes: a real deadlock, as in occam or PyCSP.
        var ab = CspChannel.Create<long>();
        var ba = CspChannel.Create<long>();
        using var cancel = new System.Threading.CancellationTokenSource();
        Task<object?[]> running = Csp.Parallel(
            [Net.Processes.Deadlocked(ba.Reader(), ab.Writer()), Net.Processes.Deadlocked(ab.Reader(), ba.Writer())],
            cancel.Token);
        Assert.False(running.IsCompleted);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.True(ab.IsPoisoned);
        Assert.True(ba.IsPoisoned);
    }
}
