using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>Runs its tests alone (after the others): they count what the whole process holds in its CSP arena and its doorbell threads.</summary>
[CollectionDefinition(nameof(ArenaReclaimGroup), DisableParallelization = true)]
public sealed class ArenaReclaimGroup
{
}

/// <summary>
/// What a member killed while it waits leaves in the shared memory of CSP channels is reclaimed when it is reaped, and
/// a process whose shared channels are quiet keeps no doorbell thread.
/// </summary>
[Collection(nameof(ArenaReclaimGroup))]
public sealed class ArenaReclaimTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Members_killed_while_they_wait_leave_no_slot_offer_or_value_behind_and_writers_fail_as_poisoned()
    {
        for (int round = 0; round < 4; round++)
        {
            // Even rounds: the member waits on a read; odd rounds: on a write whose value sits in the arena.
            bool reads = round % 2 == 0;
            (int Slots, int Offers, int Cells) before = InUse(OwnArena);
            var pids = CspChannel.Create<long>();
            var data = CspChannel.Create<long>();
            ChannelIn<long> pidIn = pids.Reader();
            ChannelOut<long> writer = data.Writer();
            ChannelIn<long> reader = data.Reader();
            Task<object?[]> network = reads
                ? Csp.Parallel(Net.Processes.PidThenReadForever(pids.Writer(), data.Reader()).InOsProcess())
                : Csp.Parallel(Net.Processes.PidThenWriteForever(pids.Writer(), data.Writer()).InOsProcess());

            long pid = await pidIn.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken);
            (object arena, int record, int headAt) = SharedState(data, reads ? "ReadersHeadAt" : "WritersHeadAt");
            Assert.Same(OwnArena, arena);
            for (int i = 0; i < 30_000 && ReadInt(Invoke(arena, "ChannelField", record, headAt)) == 0; i++)
            {
                await Task.Delay(1, TestContext.Current.CancellationToken);
            }

            Assert.NotEqual(0, ReadInt(Invoke(arena, "ChannelField", record, headAt)));
            (int Slots, int Offers, int Cells) waiting = InUse(arena);
            Assert.True(waiting.Slots > before.Slots || waiting.Offers > before.Offers, $"round {round}: the member's wait is not in the arena ({waiting} vs {before})");

            using (var victim = System.Diagnostics.Process.GetProcessById((int)pid))
            {
                victim.Kill();
            }

            AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => network.WaitAsync(Generous, TestContext.Current.CancellationToken));
            Assert.IsType<CspProcessDiedException>(Assert.Single(error.InnerExceptions));

            // Reclaimed under the lock when it was reaped: every slot, offer and value cell it held.
            (int Slots, int Offers, int Cells) after = InUse(arena);
            Assert.True(after.Slots <= before.Slots && after.Offers <= before.Offers && after.Cells <= before.Cells, $"round {round}: {after} in use after the kill, {before} before the member waited");

            // Nobody is handed a value meant for the dead member.
            if (reads)
            {
                await Assert.ThrowsAsync<ChannelPoisonedException>(() => writer.WriteAsync(1, TestContext.Current.CancellationToken).AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken));
            }
            else
            {
                await Assert.ThrowsAsync<ChannelPoisonedException>(() => reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken));
            }
        }
    }

    [Fact]
    public async Task A_write_never_hands_its_value_to_a_reader_whose_process_is_known_dead()
    {
        // The reader's process is stopped (so it cannot take anything) and marked dead as its reaping marks it; the
        // write must not succeed by handing it the value, and fails as poisoned once the member is reaped.
        (int Slots, int Offers, int Cells) before = InUse(OwnArena);
        var pids = CspChannel.Create<long>();
        var data = CspChannel.Create<long>();
        ChannelIn<long> pidIn = pids.Reader();
        ChannelOut<long> writer = data.Writer();
        Task<object?[]> network = Csp.Parallel(Net.Processes.PidThenReadForever(pids.Writer(), data.Reader()).InOsProcess());
        int pid = (int)await pidIn.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken);
        (object arena, int record, int readersHeadAt) = SharedState(data, "ReadersHeadAt");
        for (int i = 0; i < 30_000 && ReadInt(Invoke(arena, "ChannelField", record, readersHeadAt)) == 0; i++)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.NotEqual(0, ReadInt(Invoke(arena, "ChannelField", record, readersHeadAt)));

        // Stopped while this process holds the arena's lock, so not inside it (its offer is linked before it leaves
        // the lock: stopped there, it would keep the lock for ever, and every later operation would wait for it).
        Invoke(arena, "Enter");
        int stopped;
        try
        {
            stopped = Kill(pid, SignalStop);
        }
        finally
        {
            Invoke(arena, "Unlock");
        }

        Assert.Equal(0, stopped);
        try
        {
            MarkDead(arena, pid);
            Task write = writer.WriteAsync(7, TestContext.Current.CancellationToken).AsTask();
            await Task.WhenAny(write, Task.Delay(300, TestContext.Current.CancellationToken));
            Assert.False(write.IsCompleted, "the write completed on a reader known dead");
            Assert.Equal(0, Kill(pid, SignalKill));
            await Assert.ThrowsAsync<ChannelPoisonedException>(() => write.WaitAsync(Generous, TestContext.Current.CancellationToken));
        }
        finally
        {
            _ = Kill(pid, SignalKill);
        }

        AggregateException error = await Assert.ThrowsAsync<AggregateException>(() => network.WaitAsync(Generous, TestContext.Current.CancellationToken));
        Assert.IsType<CspProcessDiedException>(Assert.Single(error.InnerExceptions));
        (int Slots, int Offers, int Cells) after = InUse(OwnArena);
        Assert.True(after.Slots <= before.Slots && after.Offers <= before.Offers && after.Cells <= before.Cells, $"{after} in use after the kill, {before} before");
    }

    [Fact]
    public async Task A_process_whose_shared_channels_ended_has_no_doorbell_thread_left_and_gets_one_again_when_needed()
    {
        for (int round = 0; round < 2; round++)
        {
            var c = CspChannel.Create<long>();
            Task<object?[]> network = Csp.Parallel(
                Net.Processes.SlowProducer(c.Writer(), 0, 20).InOsProcess(),
                Net.Processes.Collect(c.Reader()));

            bool seen = false;
            while (!network.IsCompleted)
            {
                seen |= DoorbellThreads() > 0;
                await Task.Delay(2, TestContext.Current.CancellationToken);
            }

            seen |= DoorbellThreads() > 0;
            object?[] results = await network;
            Assert.Equal(20, ((List<long>)results[1]!).Count);
            Assert.True(seen, $"round {round}: an async read across processes ran without a doorbell thread");

            DateTime deadline = DateTime.UtcNow + Generous;
            while (DoorbellThreads() > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            Assert.Equal(0, DoorbellThreads());
        }
    }

    [Fact]
    public void Running_out_of_channel_records_names_the_limit_and_the_records_of_ended_channels_are_reused()
    {
        // The arena's end counts live in the channel records: a reused record starts with the new channel's ends.
        var open = new List<(ChannelIn<long> Reader, ChannelOut<long> Writer)>();
        InvalidOperationException? full = null;
        try
        {
            for (int i = 0; i <= 1024 && full is null; i++)
            {
                var c = CspChannel.Create<long>();
                (ChannelIn<long> reader, ChannelOut<long> writer) = (c.Reader(), c.Writer());
                try
                {
                    Invoke(c, "Promote");
                    open.Add((reader, writer));
                }
                catch (TargetInvocationException e) when (e.InnerException is InvalidOperationException error)
                {
                    full = error;
                }
            }

            Assert.NotNull(full);
            Assert.Contains("1024 CSP channels", full.Message, StringComparison.Ordinal);
        }
        finally
        {
            foreach ((ChannelIn<long> reader, ChannelOut<long> writer) in open)
            {
                reader.Retire();
                writer.Retire();
            }
        }

        // Every one of them has ended: as many again fit, each working with fresh end counts.
        for (int i = 0; i < open.Count; i++)
        {
            var c = CspChannel.Create<long>(buffer: 1);
            (ChannelIn<long> reader, ChannelOut<long> writer) = (c.Reader(), c.Writer());
            Invoke(c, "Promote");
            writer.Write(i);
            Assert.Equal(i, reader.Read());
            writer.Retire();
            Assert.Throws<ChannelRetiredException>(() => reader.Read());
            reader.Retire();
        }
    }

    private const int SignalKill = 9;
    private const int SignalStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Sets the dead mark of <paramref name="pid"/>'s process entry in <paramref name="arena"/>, as its reaping does.</summary>
    private static unsafe void MarkDead(object arena, int pid)
    {
        int pidAt = (int)ArenaLayout.GetField("ProcessPidAt")!.GetValue(null)!;
        int deadAt = (int)ArenaLayout.GetField("ProcessDeadAt")!.GetValue(null)!;
        int entries = ReadInt(Invoke(arena, "Int", (int)ArenaLayout.GetField("ProcessCountAt")!.GetValue(null)!));
        for (int entry = 1; entry <= entries; entry++)
        {
            int* e = (int*)Pointer.Unbox(Invoke(arena, "ProcessEntry", entry));
            if (e[pidAt / 4] == pid)
            {
                Volatile.Write(ref e[deadAt / 4], 1);
                return;
            }
        }

        Assert.Fail($"process {pid} has no entry in the arena");
    }

    private static int DoorbellThreads()
    {
        int count = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == "PK CSP doorbell")
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return count;
    }

    [Fact]
    public unsafe void Hand_overs_in_flight_are_counted_again_from_their_offers_after_a_process_died_inside_the_lock()
    {
        // A process killed between marking a hand-over and counting it leaves a count that no withdrawal brings back
        // to zero (then every fair selection preferring that channel would wait in vain). The next taker of the lock
        // recounts from the offers, as it finishes the dead holder's claims.
        var channel = CspChannel.Create<long>();
        (object arena, int record, int takenAt) = SharedState(channel, "TakenInFlightAt");
        int givenAt = (int)ArenaLayout.GetNestedType("ChannelLayout")!.GetField("GivenInFlightAt")!.GetValue(null)!;
        int* taken = (int*)Pointer.Unbox(Invoke(arena, "ChannelField", record, takenAt));
        int* given = (int*)Pointer.Unbox(Invoke(arena, "ChannelField", record, givenAt));
        *taken = 3;
        *given = -1;

        Invoke(arena, "Enter");
        try
        {
            Invoke(arena, "RecountHandOversLocked");
        }
        finally
        {
            Invoke(arena, "Unlock");
        }

        Assert.Equal(0, *taken);
        Assert.Equal(0, *given);
    }

    private static object OwnArena => typeof(CspChannel).Assembly.GetType("ParallelKit.CspRuntime.CspArena", throwOnError: true)!
        .GetProperty("Own", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!.GetValue(null)!;

    private static Type ArenaLayout => typeof(CspChannel).Assembly.GetType("ParallelKit.CspRuntime.CspArenaLayout", throwOnError: true)!;

    /// <summary>A channel's arena (it is in shared memory already), its record and where one of its queues starts.</summary>
    private static (object Arena, int Record, int HeadAt) SharedState(CspChannel channel, string head)
    {
        object shared = Invoke(channel, "Promote");
        object arena = shared.GetType().GetProperty("Arena")!.GetValue(shared)!;
        int record = (int)shared.GetType().GetProperty("Record")!.GetValue(shared)!;
        int headAt = (int)ArenaLayout.GetNestedType("ChannelLayout")!.GetField(head)!.GetValue(null)!;
        return (arena, record, headAt);
    }

    private static (int Slots, int Offers, int Cells) InUse(object arena) => ((int, int, int))Invoke(arena, "InUse");

    private static object Invoke(object target, string method, params object[] arguments)
        => target.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!.Invoke(target, arguments) ?? "void";

    private static unsafe int ReadInt(object pointer) => *(int*)Pointer.Unbox(pointer);
}
