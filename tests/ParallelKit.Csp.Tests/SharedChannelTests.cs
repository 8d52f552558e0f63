using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>
/// Channels whose ends are given to OS processes of their own: they move to shared memory, where every process
/// holding an end reads, writes, selects, poisons and retires directly.
/// </summary>
public sealed class SharedChannelTests
{
    [Fact]
    public async Task A_rendezvous_between_blocking_ends_in_two_OS_processes_delivers_every_value_in_order()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.BlockingProducer(a.Writer(), 0, 300),
            Net.Processes.BlockingSucc(a.Reader(), b.Writer()).InOsProcess(),
            Net.Processes.Collect(b.Reader()));

        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), (List<long>)results[2]!);
    }

    [Fact]
    public async Task Two_OS_processes_talk_to_each_other_through_a_channel_neither_created()
    {
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(c.Writer(), 10, 100).InOsProcess(),
            Net.Processes.Collect(c.Reader()).InOsProcess());

        Assert.Equal(Enumerable.Range(10, 100).Select(i => (long)i), (List<long>)results[1]!);
    }

    [Fact]
    public async Task A_buffered_channel_across_OS_processes_keeps_order_and_retire_delivers_every_value()
    {
        var c = CspChannel.Create<long>(buffer: 8);

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(c.Writer(), 0, 500).InOsProcess(),
            Net.Processes.Collect(c.Reader()));

        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), (List<long>)results[1]!);
    }

    [Fact]
    public async Task Values_of_any_size_cross_between_OS_processes()
    {
        var there = CspChannel.Create<string>();
        var back = CspChannel.Create<string>(buffer: 2);
        string[] texts = ["", "short", new string('x', 243), new string('y', 244), new string('z', 245), string.Concat(Enumerable.Repeat("0123456789", 10_000))];

        object?[] results = await Csp.Parallel(
            Net.Processes.SendTexts(there.Writer(), texts),
            Net.Processes.EchoText(there.Reader(), back.Writer()).InOsProcess(),
            Net.Processes.CollectTexts(back.Reader()));

        Assert.Equal(texts.Select(t => t + "!"), (List<string>)results[2]!);
    }

    [Fact]
    public async Task A_readers_poison_reaches_a_writer_blocked_in_another_OS_process()
    {
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.WriteForever(c.Writer()).InOsProcess(),
            Net.Processes.ReadThenPoison(c.Reader(), 20));

        Assert.Null(results[0]);
        Assert.Equal(20, results[1]);
        Assert.True(c.IsPoisoned);
    }

    [Fact]
    public async Task A_SIGKILLed_writer_has_its_channel_poisoned_for_the_reader_waiting_on_it()
    {
        var pids = CspChannel.Create<long>();
        var output = CspChannel.Create<long>();

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => Csp.Parallel(
            Net.Processes.PidThenWriteForever(pids.Writer(), output.Writer()).InOsProcess(),
            Net.Processes.KillWhenPid(pids.Reader()),
            Net.Processes.ReadForever(output.Reader())));

        CspProcessDiedException died = Assert.IsType<CspProcessDiedException>(Assert.Single(error.InnerExceptions));
        Assert.Equal("ParallelKit.CspTests.Net.PidThenWriteForever", died.ProcessName);
        Assert.Equal(9, died.Signal);
        Assert.True(output.IsPoisoned);
    }

    [Fact]
    public async Task An_alternation_here_chooses_between_a_channel_in_shared_memory_and_one_in_this_process()
    {
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        var output = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(a.Writer(), 0, 30).InOsProcess(),
            Net.Processes.Producer(b.Writer(), 100, 30),
            Net.Processes.AltEcho(a.Reader(), b.Reader(), output.Writer(), 60),
            Net.Processes.Collect(output.Reader()));

        var echoed = (List<long>)results[3]!;
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), echoed.Where(v => v < 1000));
        Assert.Equal(Enumerable.Range(100, 30).Select(i => 1000L + i), echoed.Where(v => v >= 1000));
    }

    [Fact]
    public async Task Alternating_readers_in_two_OS_processes_take_each_value_exactly_once()
    {
        var c = CspChannel.Create<long>();
        var idle = CspChannel.Create<long>();
        ChannelOut<long> idleWriter = idle.Writer();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(c.Writer(), 0, 300),
            Net.Processes.AltCollect(c.Reader(), idle.Reader()).InOsProcess(),
            Net.Processes.AltCollect(c.Reader(), idle.Reader()).InOsProcess());

        List<long> all = [.. (List<long>)results[1]!, .. (List<long>)results[2]!];
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), all.Order());
        GC.KeepAlive(idleWriter);
    }

    [Fact]
    public async Task An_output_guard_here_gives_each_value_to_a_reader_in_another_OS_process()
    {
        var c = CspChannel.Create<long>();
        var idle = CspChannel.Create<long>();
        ChannelOut<long> idleWriter = idle.Writer();

        object?[] results = await Csp.Parallel(
            Net.Processes.OfferEach(c.Writer(), idle.Reader(), 50),
            Net.Processes.Collect(c.Reader()).InOsProcess());

        Assert.Equal(50, results[0]);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), (List<long>)results[1]!);
        GC.KeepAlive(idleWriter);
    }

    [Fact]
    public async Task Values_buffered_before_a_channel_moves_to_shared_memory_are_delivered_there()
    {
        var c = CspChannel.Create<long>(buffer: 4);
        ChannelOut<long> early = c.Writer();
        ChannelOut<long> later = c.Writer(); // made before early retires: a side whose ends all retired stays retired
        early.Write(7);
        early.Write(8);
        early.Retire();

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(later, 9, 3),
            Net.Processes.Collect(c.Reader()).InOsProcess());

        Assert.Equal([7L, 8, 9, 10, 11], (List<long>)results[1]!);
    }

    [Fact]
    public async Task A_channel_in_shared_memory_whose_writers_all_retired_makes_no_new_writer()
    {
        var c = CspChannel.Create<long>(buffer: 4);

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(c.Writer(), 1, 2).InOsProcess(),
            Net.Processes.Collect(c.Reader()));

        Assert.Equal([1L, 2], (List<long>)results[1]!);
        Assert.Throws<ChannelRetiredException>(() => c.Writer());
        Assert.Throws<ChannelRetiredException>(() => c.Reader());
    }

    [Fact]
    public async Task A_channel_with_a_read_waiting_here_cannot_move_to_shared_memory_and_says_why()
    {
        var c = CspChannel.Create<long>();
        ChannelIn<long> reader = c.Reader();
        ChannelOut<long> writer = c.Writer();
        Task<long> waiting = reader.ReadAsync().AsTask(); // its offer is left on the channel before ReadAsync returns

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Net.Processes.Producer(c.Writer(), 0, 1).InOsProcess());
        Assert.Contains("waiting", error.Message, StringComparison.Ordinal);
        await writer.WriteAsync(5);
        Assert.Equal(5, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task An_end_retired_in_its_OS_process_is_not_counted_again_when_that_process_ends()
    {
        var c = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.WriteThenRetire(c.Writer(), -1).InOsProcess(),
            Net.Processes.SlowProducer(c.Writer(), 0, 40),
            Net.Processes.Collect(c.Reader()));

        var all = (List<long>)results[2]!;
        Assert.Equal([-1L, .. Enumerable.Range(0, 40).Select(i => (long)i)], all.Order());
    }

    [Fact]
    public async Task Values_larger_than_the_shared_memory_cross_whole_and_leave_no_file_behind()
    {
        // The arena holds 4 MiB of values in cells; larger values (and the values past it) go in files of their own.
        var c = CspChannel.Create<string>();
        string huge = new('h', 5 << 20);

        object?[] results = await Csp.Parallel(
            Net.Processes.SendTexts(c.Writer(), [huge, "after"]),
            Net.Processes.CollectTexts(c.Reader()).InOsProcess()).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal([huge, "after"], Assert.IsType<List<string>>(results[1]));
        await NoValueFilesLeft();
    }

    [Theory]
    [InlineData(8, 1, 12, 1 << 20)]
    [InlineData(0, 4, 12, 1 << 20)]
    [InlineData(300, 1, 330, 60_000)]
    public async Task A_channel_holds_as_many_large_values_as_its_buffer_and_writers_do(int buffer, int writers, int count, int size)
    {
        // Eight buffered values of 1 MiB, four writers each waiting with one, or three hundred buffered values of 60 kB
        // are more than the arena's 4 MiB of cells: they wait in the channel like any others (the write failed before).
        var c = CspChannel.Create<byte[]>(buffer);
        var processes = new List<CspProcessCall>();
        for (int w = 1; w <= writers; w++)
        {
            processes.Add(Net.Processes.SendBlocks(c.Writer(), (byte)w, count / writers, size).InOsProcess());
        }

        processes.Add(Net.Processes.SumBlocksLater(c.Reader(), 1500));
        object?[] results = await Csp.Parallel([.. processes]).WaitAsync(TimeSpan.FromMinutes(2));

        var sums = Assert.IsType<List<long>>(results[^1]);
        Assert.Equal(count, sums.Count);
        for (int w = 1; w <= writers; w++)
        {
            Assert.Equal(count / writers, sums.Count(s => s == (long)w * size));
        }

        await NoValueFilesLeft();
    }

    [Fact]
    public async Task A_readers_poison_after_a_writers_frees_what_is_still_buffered()
    {
        // A failed network's ends are poisoned from both sides: the writer's poison leaves the buffer for readers to
        // drain, and the reader's must then free it (its values' files stayed until the process exited).
        var c = CspChannel.Create<byte[]>(buffer: 4);
        _ = MoveToSharedMemory(c);
        ChannelOut<byte[]> writer = c.Writer();
        ChannelIn<byte[]> reader = c.Reader();
        for (int i = 0; i < 4; i++)
        {
            writer.Write(new byte[100_000]);
        }

        writer.Poison();
        Assert.Equal(100_000, reader.Read().Length); // drained first, as a writer's poison allows
        reader.Poison();
        Assert.Throws<ChannelPoisonedException>(() => reader.Read());
        await NoValueFilesLeft();
    }

    [Fact]
    public async Task A_network_that_fails_with_large_values_buffered_leaves_none_behind()
    {
        var c = CspChannel.Create<byte[]>(buffer: 8);

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => Csp.Parallel(
            Net.Processes.SendBlocks(c.Writer(), 1, 20, 1 << 20).InOsProcess(),
            Net.Processes.ReadBlocksThenFail(c.Reader(), 3)).WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal("the reader failed", Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions)).Message);
        await NoValueFilesLeft();
    }

    /// <summary>Every value kept in a file of its own was removed once taken (other tests' values come and go meanwhile).</summary>
    private static async Task NoValueFilesLeft()
    {
        Type arenaType = typeof(CspChannel).Assembly.GetType("ParallelKit.CspRuntime.CspArena", throwOnError: true)!;
        object arena = arenaType.GetProperty("Own")!.GetValue(null)!;
        string name = (string)arenaType.GetProperty("Name")!.GetValue(arena)!;
        string[] left = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            left = System.IO.Directory.GetFiles("/dev/shm", name + "-*");
            if (left.Length == 0)
            {
                return;
            }
        }

        Assert.Fail($"values' files left in /dev/shm: {string.Join(", ", left)}");
    }

    [Fact]
    public async Task A_blocking_alternation_in_an_OS_process_takes_a_value_then_times_out()
    {
        var input = CspChannel.Create<long>();
        var output = CspChannel.Create<long>();
        ChannelOut<long> silent = input.Writer(); // a writer that stays: the input is not retired when the producer ends

        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(input.Writer(), 7, 1),
            Net.Processes.BlockingSelectWithTimeout(input.Reader(), output.Writer()).InOsProcess(),
            Net.Processes.Collect(output.Reader()));

        Assert.Equal(1, results[1]); // guard 0 (the value), then guard 1 (the timeout)
        Assert.Equal([7L], (List<long>)results[2]!);
        GC.KeepAlive(silent);
    }

    [Fact]
    public async Task Records_of_ended_channels_are_reused_once_all_were_used_and_their_old_ends_see_them_retired()
    {
        // More channels move to shared memory than the arena has records (1,024): each is poisoned (ended) after it
        // moved, so its record can hold a later channel.
        var ended = new List<ChannelIn<long>>();
        for (int i = 0; i < 1100; i++)
        {
            var c = CspChannel.Create<long>();
            ended.Add(c.Reader());
            _ = Net.Processes.Collect(c.Reader()).InOsProcess(); // moves c to shared memory; never run
            c.Poison();
        }

        var a = CspChannel.Create<long>();
        object?[] results = await Csp.Parallel(
            Net.Processes.Producer(a.Writer(), 0, 10).InOsProcess(),
            Net.Processes.Collect(a.Reader()));

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), (List<long>)results[1]!);
        int retired = 0;
        foreach (ChannelIn<long> reader in ended)
        {
            Exception error = Assert.ThrowsAny<Exception>(() => reader.Read());
            Assert.True(error is ChannelPoisonedException or ChannelRetiredException, error.ToString());
            retired += error is ChannelRetiredException ? 1 : 0;
        }

        Assert.True(retired > 0, "no record was reused");
    }

    [Fact]
    public async Task A_timeout_that_fires_as_a_value_comes_never_claims_the_next_waiter_in_its_shared_slot()
    {
        // Alternations with a 1 ms timeout race writers in another OS process, beside a plain reader and an
        // alternation without a timeout whose waits reuse the same claim slots: a late timer must not claim them.
        var timed = CspChannel.Create<long>();
        var plain = CspChannel.Create<long>();
        var alternating = CspChannel.Create<long>();
        var idle = CspChannel.Create<long>();
        ChannelOut<long> idleWriter = idle.Writer();
        const int count = 1500;

        object?[] results = await Csp.Parallel(
            Net.Processes.JitterProducers([timed.Writer(), plain.Writer(), alternating.Writer()], count).InOsProcess(),
            Net.Processes.TimeoutCollect(timed.Reader()),
            Net.Processes.TimeoutCollect(timed.Reader()),
            Net.Processes.Collect(plain.Reader()),
            Net.Processes.AltCollect(alternating.Reader(), idle.Reader())).WaitAsync(TimeSpan.FromMinutes(2));

        // A process that ended by a (spurious) poison has no result.
        List<long> all = [.. Assert.IsType<List<long>>(results[1]), .. Assert.IsType<List<long>>(results[2])];
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), all.Order());
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), Assert.IsType<List<long>>(results[3]));
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), Assert.IsType<List<long>>(results[4]));
        Assert.False(timed.IsPoisoned || plain.IsPoisoned || alternating.IsPoisoned);
        GC.KeepAlive(idleWriter);
    }

    [Fact]
    public async Task An_alternation_that_fails_while_it_leaves_its_offers_leaves_none_behind()
    {
        // The reader starts only once the alternation has failed: an offer left behind would give it a value first.
        var a = CspChannel.Create<byte[]>();
        var b = CspChannel.Create<FailsWhenSerializedTwice>();
        var go = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.OfferThenFailToSerialize(a.Writer(), b.Writer(), go.Writer()),
            Net.Processes.LengthsAfterGo(go.Reader(), a.Reader(), b.Reader()).InOsProcess()).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal("serialized twice", Assert.IsType<string>(results[0]));
        Assert.Equal([3], Assert.IsType<List<int>>(results[1]));
    }

    [Fact]
    public async Task A_write_whose_reader_died_after_claiming_it_fails_as_poisoned_instead_of_succeeding()
    {
        // What a reader SIGKILLed between claiming a waiting write and taking its value leaves behind, once
        // CspArena.FinishAbandonedClaims signals that claim: the value is still in the write's offer. Made here
        // through the internals (no kill can be timed inside that window).
        var c = CspChannel.Create<long>();
        ChannelOut<long> writer = c.Writer();
        ChannelIn<long> reader = c.Reader();
        (object arena, int record, int writersHeadAt) = MoveToSharedMemory(c);
        int offerSlotAt = (int)ArenaLayout.GetField("OfferSlotAt")!.GetValue(null)!;

        Task write = Task.Run(() => writer.Write(5));
        int offer = 0;
        for (int i = 0; i < 30_000 && offer == 0; i++)
        {
            await Task.Delay(1);
            offer = ReadInt(Internal(arena, "ChannelField", record, writersHeadAt));
        }

        Assert.NotEqual(0, offer);
        Internal(arena, "Enter");
        try
        {
            int slot = ReadInt(Internal(arena, "OfferField", offer, offerSlotAt));
            Assert.True((bool)Internal(arena, "TryClaim", slot, 0));
            Internal(arena, "Signal", slot);
        }
        finally
        {
            Internal(arena, "Unlock");
        }

        await Assert.ThrowsAsync<ChannelPoisonedException>(() => write.WaitAsync(TimeSpan.FromSeconds(30)));
        GC.KeepAlive(reader);
    }

    [Fact]
    public async Task A_corrupt_record_number_in_shared_memory_is_a_clear_error_not_a_stray_write()
    {
        // A broken process that wrote a wild offer number into a channel's queue: the next read must fail clearly,
        // without addressing memory outside the arena's tables.
        var c = CspChannel.Create<long>();
        ChannelOut<long> writer = c.Writer();
        ChannelIn<long> reader = c.Reader();
        (object arena, int record, int writersHeadAt) = MoveToSharedMemory(c);
        WriteInt(Internal(arena, "ChannelField", record, writersHeadAt), 1_000_000);

        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => Task.Run(() => reader.Read()).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);

        var outOfRange = Assert.Throws<TargetInvocationException>(() => Internal(arena, "ChannelField", 0, 0));
        Assert.IsType<InvalidOperationException>(outOfRange.InnerException);
        GC.KeepAlive(writer);
    }

    [Fact]
    public async Task A_waiter_woken_across_processes_is_not_held_up_by_another_that_blocks_the_thread_which_woke_it()
    {
        // Both readers park for the owner's doorbell; the first value's reader then blocks the doorbell thread that ran
        // it (outside any channel) for 1.5 s, and the second value comes 0.3 s later. The second reader must get it
        // while the first still blocks: a ring finds the doorbell attended while its thread runs a waiter, and the
        // hand-off monitor stops attending it once that waiter has run for a tick (the spare listener's sleep slice
        // bounds it too).
        var first = CspChannel.Create<long>();
        var second = CspChannel.Create<long>();

        object?[] results = await Csp.Parallel(
            Net.Processes.WriteEachAfter([first.Writer(), second.Writer()], 300).InOsProcess(),
            Net.Processes.ReadThenBlock(first.Reader(), 1_500),
            Net.Processes.ReadWhen(second.Reader()));

        double afterBlock = Stopwatch.GetElapsedTime((long)results[1]!, (long)results[2]!).TotalMilliseconds;
        Assert.True(afterBlock > 0 && afterBlock < 1_000, $"the second reader got its value {afterBlock:F0} ms after the first began to block for 1,500 ms (its writer waited 300 ms)");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_selection_waiting_on_shared_memory_names_the_in_process_guard_whose_channel_fails(bool poison)
    {
        // The selection claims through its arena slot (one of its channels is in shared memory): an in-process channel
        // that fails it must still note which guard it was.
        var shared = CspChannel.Create<int>();
        var local = CspChannel.Create<int>();
        _ = MoveToSharedMemory(shared);
        ChannelOut<int> toShared = shared.Writer();
        ChannelOut<int> toLocal = local.Writer();
        InputGuard<int> fromShared = shared.Reader().Guard();
        InputGuard<int> fromLocal = local.Reader().Guard();
        Task<Choice> selecting = new Alternation(fromShared, fromLocal).FairSelectAsync(TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(selecting.IsCompleted);

        Guard? named;
        if (poison)
        {
            toLocal.Poison();
            named = (await Assert.ThrowsAsync<ChannelPoisonedException>(() => selecting.WaitAsync(TimeSpan.FromSeconds(30)))).Guard;
        }
        else
        {
            toLocal.Retire();
            named = (await Assert.ThrowsAsync<ChannelRetiredException>(() => selecting.WaitAsync(TimeSpan.FromSeconds(30)))).Guard;
        }

        Assert.Same(fromLocal, named);
        toShared.Retire();
    }

    private static Type ArenaLayout => typeof(CspChannel).Assembly.GetType("ParallelKit.CspRuntime.CspArenaLayout", throwOnError: true)!;

    /// <summary>Moves <paramref name="channel"/> to shared memory; its arena, its record there and where its writers' queue starts.</summary>
    private static (object Arena, int Record, int WritersHeadAt) MoveToSharedMemory(CspChannel channel)
    {
        object shared = Internal(channel, "Promote");
        object arena = shared.GetType().GetProperty("Arena")!.GetValue(shared)!;
        int record = (int)shared.GetType().GetProperty("Record")!.GetValue(shared)!;
        int writersHeadAt = (int)ArenaLayout.GetNestedType("ChannelLayout")!.GetField("WritersHeadAt")!.GetValue(null)!;
        return (arena, record, writersHeadAt);
    }

    private static unsafe void WriteInt(object pointer, int value) => *(int*)Pointer.Unbox(pointer) = value;

    private static object Internal(object target, string method, params object[] arguments)
        => target.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!.Invoke(target, arguments) ?? "void";

    private static unsafe int ReadInt(object pointer) => *(int*)Pointer.Unbox(pointer);
}
