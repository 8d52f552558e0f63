using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>
/// Hand-offs (<c>CspRunner</c>): an async waiter completed by a process that itself runs as a CSP continuation runs
/// next on that thread, once the completing process parks, instead of going through the thread pool. These tests
/// stage what a hand-off must survive: long chains, poison right after it, and a completing process that does not park.
/// </summary>
public sealed class HandOffTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_chain_of_thousands_of_processes_hands_every_value_down_without_growing_the_stack()
    {
        // Each hand-off runs after the previous continuation returned: a deep chain is a loop, not a recursion.
        const int Stages = 3_000;
        var channels = Enumerable.Range(0, Stages + 1).Select(_ => CspChannel.Create<long>()).ToArray();
        var processes = new List<CspProcessCall> { Net.Processes.Producer(channels[0].Writer(), 0, 50) };
        for (int i = 0; i < Stages; i++)
        {
            processes.Add(Net.Processes.Succ(channels[i].Reader(), channels[i + 1].Writer()));
        }

        processes.Add(Net.Processes.Collect(channels[Stages].Reader()));

        object?[] results = await Csp.Parallel(processes).WaitAsync(HangGuard, Token);

        Assert.Equal(Enumerable.Range(Stages, 50).Select(i => (long)i), (List<long>)results[^1]!);
    }

    [Fact]
    public async Task A_value_handed_off_right_before_poison_is_still_delivered_and_the_next_read_is_poisoned()
    {
        for (int round = 0; round < 50; round++)
        {
            var trigger = CspChannel.Create<int>();
            var c = CspChannel.Create<int>();
            ChannelIn<int> triggerIn = trigger.Reader();
            ChannelOut<int> output = c.Writer();
            ChannelIn<int> input = c.Reader();

            Task<(int Value, bool Poisoned)> reader = Task.Run(async () =>
            {
                int value = await input.ReadAsync();
                try
                {
                    await input.ReadAsync();
                    return (value, false);
                }
                catch (ChannelPoisonedException)
                {
                    return (value, true);
                }
            });
            Task writer = Task.Run(async () =>
            {
                await triggerIn.ReadAsync(); // resumed as a CSP continuation: its write below is a hand-off when the reader waits
                await output.WriteAsync(42);
                output.Poison();
            });

            await trigger.Writer().WriteAsync(1, Token);
            await writer.WaitAsync(HangGuard, Token);
            (int value, bool poisoned) = await reader.WaitAsync(HangGuard, Token);
            Assert.Equal(42, value);
            Assert.True(poisoned);
        }
    }

    [Fact]
    public async Task A_process_woken_by_a_start_may_block_until_the_started_process_ends()
    {
        // The woken process must not run inside the start (whose task cannot end before the start returns).
        for (int round = 0; round < 20; round++)
        {
            long[] results = await Csp.Parallel(Net.Processes.SpawnReadThenWait()).WaitAsync(HangGuard, Token);
            Assert.Equal([5L], results);
        }
    }

    [Fact]
    public async Task A_process_that_blocks_its_thread_right_after_a_hand_off_does_not_strand_the_process_it_woke()
    {
        // The writer blocks (not in a channel operation) until the reader it just woke has run: the hand-off must
        // leave its thread (the monitor moves it to the thread pool), or this never ends.
        var trigger = CspChannel.Create<int>();
        var c = CspChannel.Create<int>();
        ChannelIn<int> triggerIn = trigger.Reader();
        ChannelOut<int> output = c.Writer();
        ChannelIn<int> input = c.Reader();
        using var readerRan = new ManualResetEventSlim();

        Task<int> reader = Task.Run(async () =>
        {
            int value = await input.ReadAsync();
            readerRan.Set();
            return value;
        });
        Task writer = Task.Run(async () =>
        {
            await triggerIn.ReadAsync();
            await output.WriteAsync(7);
            readerRan.Wait(HangGuard);
            Assert.True(readerRan.IsSet);
        });

        await Task.Delay(50, Token); // lets the reader wait first, so that the write completes it (either order must work)
        await trigger.Writer().WriteAsync(1, Token);
        await writer.WaitAsync(HangGuard, Token);
        Assert.Equal(7, await reader.WaitAsync(HangGuard, Token));
    }

    [Fact]
    public async Task A_process_that_computes_right_after_a_hand_off_lets_the_process_it_woke_run_meanwhile()
    {
        // The writer spins until the reader it woke has run: on a thread of its own the reader must get there.
        var trigger = CspChannel.Create<int>();
        var c = CspChannel.Create<int>();
        ChannelIn<int> triggerIn = trigger.Reader();
        ChannelOut<int> output = c.Writer();
        ChannelIn<int> input = c.Reader();
        int readerRan = 0;

        Task<int> reader = Task.Run(async () =>
        {
            int value = await input.ReadAsync();
            Volatile.Write(ref readerRan, 1);
            return value;
        });
        Task writer = Task.Run(async () =>
        {
            await triggerIn.ReadAsync();
            await output.WriteAsync(9);
            var guard = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref readerRan) == 0 && guard.Elapsed < HangGuard)
            {
                Thread.SpinWait(100);
            }

            Assert.Equal(1, Volatile.Read(ref readerRan));
        });

        await Task.Delay(50, Token);
        await trigger.Writer().WriteAsync(1, Token);
        await writer.WaitAsync(HangGuard, Token);
        Assert.Equal(9, await reader.WaitAsync(HangGuard, Token));
    }

    [Fact]
    public async Task A_process_woken_beside_one_that_computes_once_woken_does_not_wait_for_that_computation()
    {
        // A thread that runs no runner (a process that blocks its thread) wakes two async processes in a row: both go to
        // the orphans, and the one runner that takes them runs the first, which computes (until the second has run).
        // The second must be taken by another thread meanwhile; it used to wait for the whole computation (a blocking
        // fair selection between a computing writer and a ready one then waited for the ready one at most turns).
        for (int round = 0; round < 5; round++)
        {
            var a = CspChannel.Create<int>();
            var b = CspChannel.Create<int>();
            ChannelIn<int> aIn = a.Reader();
            ChannelIn<int> bIn = b.Reader();
            ChannelOut<int> aOut = a.Writer();
            ChannelOut<int> bOut = b.Writer();
            int secondRan = 0;

            Task<bool> first = Task.Run(async () =>
            {
                await aIn.ReadAsync();
                var guard = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref secondRan) == 0 && guard.Elapsed < TimeSpan.FromSeconds(5))
                {
                    Thread.SpinWait(100);
                }

                return Volatile.Read(ref secondRan) == 1;
            });
            Task second = Task.Run(async () =>
            {
                await bIn.ReadAsync();
                Volatile.Write(ref secondRan, 1);
            });

            await Task.Delay(50, Token); // both readers wait (if one does not yet, its write waits for it: no orphan then)
            var waker = new Thread(() =>
            {
                aOut.Write(1);
                bOut.Write(2);
            });
            waker.Start();
            waker.Join();

            Assert.True(await first.WaitAsync(HangGuard, Token), $"round {round}: the second process ran only after the first had computed for 5 s");
            await second.WaitAsync(HangGuard, Token);
        }
    }

    [Fact]
    public async Task A_blocking_read_right_after_a_hand_off_gives_the_hand_off_to_another_thread_first()
    {
        // The writer wakes the echo, then blocks reading the echo's answer: the echo cannot wait on the writer's thread.
        var trigger = CspChannel.Create<int>();
        var there = CspChannel.Create<int>();
        var back = CspChannel.Create<int>();
        ChannelIn<int> triggerIn = trigger.Reader();
        ChannelOut<int> thereOut = there.Writer();
        ChannelIn<int> thereIn = there.Reader();
        ChannelOut<int> backOut = back.Writer();
        ChannelIn<int> backIn = back.Reader();

        Task echo = Task.Run(async () => await backOut.WriteAsync(await thereIn.ReadAsync() + 1));
        Task<int> writer = Task.Run(async () =>
        {
            await triggerIn.ReadAsync();
            await thereOut.WriteAsync(1);
            return backIn.Read(); // blocking
        });

        await Task.Delay(50, Token);
        await trigger.Writer().WriteAsync(1, Token);
        Assert.Equal(2, await writer.WaitAsync(HangGuard, Token));
        await echo.WaitAsync(HangGuard, Token);
    }

    [Fact]
    public async Task A_ring_of_async_processes_keeps_its_order_and_ends_by_poison()
    {
        // CommsTime's ring (prefix, delta, successor, consumer), where every communication is a hand-off.
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        var c = CspChannel.Create<long>();
        var d = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Prefix(c.Reader(), a.Writer(), 0),
            Net.Processes.Delta(a.Reader(), b.Writer(), d.Writer()),
            Net.Processes.Succ(d.Reader(), c.Writer()),
            Net.Processes.ReadCountingUp(b.Reader(), 10_000)).WaitAsync(HangGuard, Token);

        Assert.Equal(10_000, results[3]);
        Assert.True(b.IsPoisoned);
    }
}
