using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>Alternation: which guard is chosen, and that no guard not chosen ever takes or gives a value.</summary>
public sealed class AlternationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void A_retired_or_poisoned_guard_is_named_by_its_exception_so_the_others_can_be_selected_on()
    {
        // PyCSP's rule: a selection whose guard's channel has retired (and drained) throws, even while another guard
        // has values buffered. The exception says which guard, so the process can disable it and read on.
        var a = CspChannel.Create<int>(buffer: 5);
        var b = CspChannel.Create<int>();
        ChannelOut<int> aw = a.Writer();
        ChannelOut<int> bw = b.Writer();
        for (int i = 0; i < 5; i++)
        {
            aw.Write(i);
        }

        bw.Retire();
        InputGuard<int> fromB = b.Reader().Guard();
        InputGuard<int> fromA = a.Reader().Guard();
        var alt = new Alternation(fromB, fromA);
        ChannelRetiredException retired = Assert.Throws<ChannelRetiredException>(() => alt.PriSelect());
        Assert.Same(fromB, retired.Guard);
        retired.Guard!.Enabled = false;
        Assert.Equal([0, 1, 2, 3, 4], Enumerable.Range(0, 5).Select(_ => (int)alt.PriSelect().Value!));

        var c = CspChannel.Create<int>();
        InputGuard<int> fromC = c.Reader().Guard();
        c.Poison();
        ChannelPoisonedException poisoned = Assert.Throws<ChannelPoisonedException>(() => new Alternation(fromC, Guard.Skip()).PriSelect());
        Assert.Same(fromC, poisoned.Guard);

        ChannelIn<int> retiredEnd = a.Reader();
        InputGuard<int> fromRetiredEnd = retiredEnd.Guard();
        retiredEnd.Retire();
        Assert.Same(fromRetiredEnd, Assert.Throws<ChannelRetiredException>(() => new Alternation(fromRetiredEnd).Select()).Guard);
        Assert.Null(Assert.Throws<ChannelRetiredException>(() => retiredEnd.Read()).Guard);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task A_selection_already_waiting_names_the_guard_whose_channel_retires_or_is_poisoned(bool async, bool poison)
    {
        // csp.md's pattern, catch (ChannelRetiredException e) when (e.Guard is { } done), must work whether the channel
        // failed before the selection or while it waited.
        var a = CspChannel.Create<int>();
        var b = CspChannel.Create<int>();
        ChannelOut<int> toA = a.Writer();
        ChannelOut<int> toB = b.Writer();
        InputGuard<int> fromA = a.Reader().Guard();
        InputGuard<int> fromB = b.Reader().Guard();
        var alt = new Alternation(fromA, fromB);
        Task<Choice> selecting = async ? alt.FairSelectAsync(Token).AsTask() : Task.Run(alt.FairSelect, Token);
        await Task.Delay(100, Token); // the selection waits on both channels meanwhile
        Assert.False(selecting.IsCompleted);

        Exception failure;
        if (poison)
        {
            toB.Poison();
            failure = await Assert.ThrowsAsync<ChannelPoisonedException>(() => selecting.WaitAsync(TimeSpan.FromSeconds(30), Token));
            Assert.Same(fromB, ((ChannelPoisonedException)failure).Guard);
        }
        else
        {
            toB.Retire();
            failure = await Assert.ThrowsAsync<ChannelRetiredException>(() => selecting.WaitAsync(TimeSpan.FromSeconds(30), Token));
            Assert.Same(fromB, ((ChannelRetiredException)failure).Guard);
        }

        // The named guard disabled, the selection goes on with the other.
        fromB.Enabled = false;
        Task writing = toA.WriteAsync(7, Token).AsTask();
        Choice chosen = async ? await alt.FairSelectAsync(Token) : alt.FairSelect();
        Assert.Same(fromA, chosen.Guard);
        Assert.Equal(7, chosen.Value);
        await writing.WaitAsync(TimeSpan.FromSeconds(30), Token);
    }

    [Fact]
    public async Task Fair_select_starves_neither_of_two_always_ready_inputs_where_pri_select_would()
    {
        // Always ready: each channel holds more values than the selections take.
        (ChannelIn<long> a, ChannelIn<long> b) = (Filled(2_000), Filled(2_000));
        var fair = new Alternation(a.Guard(), b.Guard());
        var pri = new Alternation(a.Guard(), b.Guard());

        int[] counts = new int[2];
        for (int i = 0; i < 1_000; i++)
        {
            counts[(await fair.FairSelectAsync(Token)).Index]++;
        }

        Assert.True(counts[0] >= 400 && counts[1] >= 400, $"a chosen {counts[0]} times, b {counts[1]} times");
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(0, pri.PriSelect().Index);
        }
    }

    [Fact]
    public async Task Fair_select_between_two_writers_reads_both_streams_in_order()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        ChannelOut<long> aw = a.Writer(), bw = b.Writer();
        Task[] writers = [WriteUntilPoisoned(aw), WriteUntilPoisoned(bw)];
        ChannelIn<long> ar = a.Reader(), br = b.Reader();
        var alt = new Alternation(ar.Guard(), br.Guard());

        long[] next = new long[2];
        for (int i = 0; i < 1_000; i++)
        {
            Choice chosen = await alt.FairSelectAsync(Token);
            Assert.Equal(next[chosen.Index]++, chosen.ValueAs<long>());
        }

        ar.Poison();
        br.Poison();
        await Task.WhenAll(writers);
    }

    [Fact]
    public void Pri_select_takes_the_first_ready_guard_in_order()
    {
        var a = CspChannel.Create<int>(buffer: 10);
        var b = CspChannel.Create<int>(buffer: 10);
        ChannelOut<int> aw = a.Writer(), bw = b.Writer();
        for (int i = 0; i < 5; i++)
        {
            aw.Write(i);
            bw.Write(100 + i);
        }

        var alt = new Alternation(b.Reader().Guard(), a.Reader().Guard());
        for (int i = 0; i < 5; i++)
        {
            Choice chosen = alt.PriSelect();
            Assert.Equal(0, chosen.Index);
            Assert.Equal(100 + i, chosen.ValueAs<int>());
        }

        Assert.Equal(1, alt.PriSelect().Index);
    }

    [Fact]
    public async Task Skip_is_chosen_when_nothing_is_ready_and_timeout_when_nothing_becomes_ready()
    {
        var c = CspChannel.Create<int>();
        _ = c.Writer();
        InputGuard<int> input = c.Reader().Guard();
        SkipGuard skip = Guard.Skip();

        Assert.Same(skip, new Alternation(input, skip).PriSelect().Guard);
        TimeoutGuard timeout = Guard.Timeout(TimeSpan.FromMilliseconds(20));
        Assert.Same(timeout, (await new Alternation(input, timeout).SelectAsync(Token)).Guard);
    }

    [Fact]
    public async Task A_time_out_guard_is_never_chosen_before_its_time()
    {
        // Timers run on a coarse clock (on Linux a scheduler tick, up to 4 ms early: before the selection set its timer
        // again for what was left, 1 of 30 such selections here ended after 99.3 ms): 30 selections that can only time
        // out, blocking and async, each timed from before the selection.
        var c = CspChannel.Create<int>();
        _ = c.Writer();
        TimeoutGuard timeout = Guard.Timeout(TimeSpan.FromMilliseconds(100));
        var alt = new Alternation(c.Reader().Guard(), timeout);
        var early = new List<double>();
        for (int i = 0; i < 30; i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            Choice chosen = i % 2 == 0 ? alt.Select() : await alt.FairSelectAsync(Token);
            double ms = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            Assert.Same(timeout, chosen.Guard);
            if (ms < 100)
            {
                early.Add(ms);
            }
        }

        Assert.True(early.Count == 0, $"time-outs of 100 ms chosen after {string.Join(", ", early.Select(ms => $"{ms:F2}"))} ms");
    }

    [Fact]
    public async Task An_output_guard_writes_its_value_when_chosen()
    {
        var c = CspChannel.Create<string>();
        ChannelIn<string> reader = c.Reader();
        OutputGuard<string> offer = c.Writer().Guard("hello");
        var other = CspChannel.Create<string>();
        _ = other.Writer();
        var alt = new Alternation(other.Reader().Guard(), offer);

        ValueTask<Choice> selecting = alt.SelectAsync(Token);
        Assert.Equal("hello", await reader.ReadAsync(Token));
        Assert.Same(offer, (await selecting).Guard);
    }

    [Fact]
    public async Task An_output_guard_alternation_meets_an_input_guard_alternation()
    {
        var c = CspChannel.Create<int>();
        var idle = CspChannel.Create<int>();
        _ = idle.Writer();
        var readerAlt = new Alternation(idle.Reader().Guard(), c.Reader().Guard());
        var writerAlt = new Alternation(c.Writer().Guard(5));

        ValueTask<Choice> reading = readerAlt.SelectAsync(Token);
        Choice written = await writerAlt.SelectAsync(Token);
        Choice read = await reading;
        Assert.Equal(0, written.Index);
        Assert.Equal(1, read.Index);
        Assert.Equal(5, read.ValueAs<int>());
    }

    [Fact]
    public async Task A_disabled_guard_is_never_chosen_and_all_disabled_is_an_error()
    {
        var c = CspChannel.Create<int>(buffer: 1);
        c.Writer().Write(1);
        InputGuard<int> ready = c.Reader().Guard();
        ready.Enabled = false;
        TimeoutGuard timeout = Guard.Timeout(TimeSpan.FromMilliseconds(10));

        Assert.Same(timeout, (await new Alternation(ready, timeout).PriSelectAsync(Token)).Guard);
        timeout.Enabled = false;
#pragma warning disable PK4005 // The run-time error is what this test checks; PK4005 says the same at compile time.
        Assert.Throws<InvalidOperationException>(() => new Alternation(ready, timeout).Select());
#pragma warning restore PK4005
    }

    [Fact]
    public async Task A_poisoned_guard_channel_ends_the_selection_with_poison()
    {
        var c = CspChannel.Create<int>();
        ChannelOut<int> writer = c.Writer();
        var alt = new Alternation(c.Reader().Guard());
        ValueTask<Choice> waiting = alt.SelectAsync(Token);
        writer.Poison();
        await Assert.ThrowsAsync<ChannelPoisonedException>(async () => await waiting);
        Assert.Throws<ChannelPoisonedException>(() => alt.Select());
    }

    [Fact]
    public async Task Alternations_racing_plain_readers_neither_lose_nor_double_a_message()
    {
        const int Values = 4_000;
        var a = CspChannel.Create<int>();
        var b = CspChannel.Create<int>(buffer: 2);
        ChannelOut<int> aw = a.Writer(), bw = b.Writer();
        var received = new ConcurrentBag<int>();

        Task writing = Task.Run(async () =>
        {
            for (int i = 0; i < Values; i++)
            {
                await (i % 2 == 0 ? aw : bw).WriteAsync(i);
            }

            aw.Retire();
            bw.Retire();
        });

        async Task Alternating(ChannelIn<int> ar, ChannelIn<int> br)
        {
            InputGuard<int> ga = ar.Guard(), gb = br.Guard();
            var alt = new Alternation(ga, gb);
            while (ga.Enabled || gb.Enabled)
            {
                try
                {
                    received.Add((await alt.SelectAsync()).ValueAs<int>());
                }
                catch (ChannelRetiredException)
                {
                    // One side is done: find which (a probe that finds a value keeps it), keep reading the other.
                    foreach (InputGuard<int> guard in new[] { ga, gb }.Where(g => g.Enabled))
                    {
                        try
                        {
                            Choice probe = new Alternation(guard, Guard.Skip()).PriSelect();
                            if (probe.Index == 0)
                            {
                                received.Add(probe.ValueAs<int>());
                            }
                        }
                        catch (ChannelRetiredException)
                        {
                            guard.Enabled = false;
                        }
                    }
                }
            }
        }

        async Task Plain(ChannelIn<int> reader)
        {
            await foreach (int v in reader)
            {
                received.Add(v);
            }
        }

        Task[] readers =
        [
            Task.Run(() => Alternating(a.Reader(), b.Reader())),
            Task.Run(() => Alternating(a.Reader(), b.Reader())),
            Task.Run(() => Plain(a.Reader())),
            Task.Run(() => Plain(b.Reader())),
        ];
        await Task.WhenAll(readers.Append(writing)).WaitAsync(Token);
        Assert.Equal(Enumerable.Range(0, Values), received.OrderBy(v => v));
    }

    private static ChannelIn<long> Filled(int count)
    {
        var channel = CspChannel.Create<long>(buffer: count);
        ChannelOut<long> writer = channel.Writer();
        for (int i = 0; i < count; i++)
        {
            writer.Write(i);
        }

        return channel.Reader();
    }

    private static async Task WriteUntilPoisoned(ChannelOut<long> writer)
    {
        try
        {
            for (long i = 0; ; i++)
            {
                await writer.WriteAsync(i);
            }
        }
        catch (ChannelPoisonedException)
        {
        }
    }
}
