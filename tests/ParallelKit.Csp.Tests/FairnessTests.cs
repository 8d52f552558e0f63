using System;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>Tests that count how processes share the cores: run alone, so that other tests do not take the cores they count on.</summary>
[CollectionDefinition(nameof(SchedulingGroup), DisableParallelization = true)]
public sealed class SchedulingGroup
{
}

/// <summary>
/// Fairness between live processes: a reader selecting fairly between two writers that write for ever gets neither
/// writer's values under 40% of the time, because the writers it took from run again (and offer again) before it
/// selects again (<c>CspRunner</c> runs woken processes in the order they were woken).
/// </summary>
[Collection(nameof(SchedulingGroup))]
public sealed class FairnessTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public Task Fair_select_between_two_processes_that_write_for_ever_starves_neither()
        // Live writers, not pre-filled buffers: each writer is ready again only once its continuation has run after
        // its last value was taken, so the reader must not keep one writer's turns to itself.
        => FairRounds(20, (a, b) => [
            Net.Processes.WriteForever(a.Writer()),
            Net.Processes.WriteForever(b.Writer()),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 10)]);

    [Fact]
    public Task Fair_select_from_its_first_moment_between_two_writers_in_its_own_process_starves_neither()
        // No warm-up: the members of a Parallel start together (one thread starts them in order, each up to its first
        // wait), so the reader's first selections do not find one writer not started yet.
        => FairRounds(20, (a, b) => [
            Net.Processes.WriteForever(a.Writer()),
            Net.Processes.WriteForever(b.Writer()),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public Task Fair_select_between_two_writers_in_their_own_OS_processes_starves_neither()
        // Each writer learns that its value was taken only when its own process wakes (a crossing): the reader must not
        // take the other writer's value again and again while the one it prefers is on its way back. Every write the
        // reader took was then seen by its writer (or its writer was reaped): none is still counted as on its way
        // back, which would make later fair selections wait for a writer that never comes.
        => FairRounds(5, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()).InOsProcess(),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 10)],
            counted: ("TakenWrites", "TakenWritesInFlight"));

    [Fact]
    public Task A_blocking_fair_select_between_two_writers_in_their_own_OS_processes_starves_neither()
        // The reader's thread blocks (a sync process): it waits for a writer on its way back by yielding and sleeping.
        => FairRounds(5, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()).InOsProcess(),
            Net.Processes.FairCountsBlocking(a.Reader(), b.Reader(), 1_000, warmUps: 10)],
            counted: ("TakenWrites", "TakenWritesInFlight"));

    [Fact]
    public Task A_steady_writer_in_another_OS_process_is_waited_for_when_it_is_off_the_core_after_seeing_its_hand_over()
        // One writer is off the core for 2 ms now and then between seeing that its value was taken and offering again
        // (as a busy host does to it); the other writes at once. A writer that came back promptly lately is waited
        // for then too; otherwise the reader would take the other's values hundreds of times in a row meanwhile.
        => FairRounds(3, (a, b) => [
            Net.Processes.WriteForeverStalling(a.Writer(), 50, 2).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()).InOsProcess(),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 10)]);

    [Fact]
    public async Task A_writer_in_another_OS_process_that_computes_between_its_values_is_not_waited_for()
    {
        // The first writer is off the core for 20 ms after every value (it computes): the reader takes the other
        // writer's values meanwhile instead of waiting for it at every turn (fairness is between ready guards). Long
        // enough that on a loaded host, where each of the reader's turns may take a millisecond, the first writer is
        // still not ready at most of them.
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        object?[] results = await Csp.Parallel(
            Net.Processes.WriteForeverStalling(a.Writer(), 1, 20).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()).InOsProcess(),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 2)).WaitAsync(TimeSpan.FromSeconds(60), Token);

        int[] counts = (int[])results[2]!;
        Assert.True(counts[0] < 250, $"the computing writer was chosen {counts[0]} times of 1,000, the other {counts[1]}");
    }

    [Fact]
    public Task Fair_select_between_a_writer_in_an_OS_process_and_one_in_the_readers_process_starves_neither()
        // One writer wakes in another OS process, the other on the reader's own thread: the reader lets the processes
        // it woke on its thread offer again before it selects, so the writer in the other process does not get every
        // turn the local one is queued for.
        => FairRounds(5, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 10)]);

    [Fact]
    public Task A_fair_select_from_its_first_moment_between_a_writer_in_an_OS_process_and_one_in_the_readers_process_starves_neither()
        // No warm-up: the OS process's first returns after a hand-over take milliseconds (its code after one is still
        // compiling), in which the reader and its local writer make hundreds of selections; while the channel's
        // hand-overs across processes are young the reader waits for that writer as for a steady one.
        => FairRounds(10, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public Task A_blocking_fair_select_between_a_writer_in_an_OS_process_and_one_in_the_readers_process_starves_neither()
        // The reader blocks its thread, so the local writer it woke runs elsewhere (the monitor moves what the thread
        // holds) while the writer in the other process offers again on its own core.
        => FairRounds(5, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()),
            Net.Processes.FairCountsBlocking(a.Reader(), b.Reader(), 1_000, warmUps: 10)]);

    [Fact]
    public Task Fair_select_between_two_writers_that_block_their_threads_starves_neither()
        // Three threads on two cores: the writer sharing the reader's core is back only once the reader parks, the other
        // is back at once on its own core. The reader waits for the writer whose turn it is alone, parked, while it
        // comes back promptly; without that, a third of the rounds gave one writer under 35 %.
        => FairRounds(10, (a, b) => [
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.WriteForeverBlocking(b.Writer()),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public Task Fair_select_between_two_writers_that_block_their_threads_starves_neither_beside_extra_unused_ends()
        // An end made and never used (a spare writer of each channel) does not count as a peer: each writer is still
        // the one end in use on its side, waited for alone.
        => FairRounds(10, (a, b) =>
        {
            _ = a.Writer();
            _ = b.Writer();
            return [
                Net.Processes.WriteForeverBlocking(a.Writer()),
                Net.Processes.WriteForeverBlocking(b.Writer()),
                Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0)];
        });

    [Fact]
    public Task A_blocking_fair_select_between_two_writers_that_block_their_threads_starves_neither()
        => FairRounds(10, (a, b) => [
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.WriteForeverBlocking(b.Writer()),
            Net.Processes.FairCountsBlocking(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public Task Fair_select_between_a_writer_in_an_OS_process_and_a_local_one_that_blocks_its_thread_starves_neither()
        => FairRounds(5, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForeverBlocking(b.Writer()),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public Task A_blocking_fair_select_between_a_writer_in_an_OS_process_and_a_local_one_that_blocks_its_thread_starves_neither()
        => FairRounds(5, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForeverBlocking(b.Writer()),
            Net.Processes.FairCountsBlocking(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public Task Fair_select_between_output_guards_to_two_readers_that_block_their_threads_starves_neither()
        => FairRounds(10, (a, b) => [
            Net.Processes.ReadForeverBlocking(a.Reader()),
            Net.Processes.ReadForeverBlocking(b.Reader()),
            Net.Processes.FairOffers(a.Writer(), b.Writer(), 1_000)]);

    [Fact]
    public Task Fair_select_between_a_channel_two_blocking_writers_share_and_one_with_one_starves_neither()
        // The first channel's side is shared, so the reader cannot wait for "its" writer alone as it does for the
        // second's; but both of the first's writers loop on it (their threads use no other end), so one not offering
        // now is on its way back and is waited for. Without that, 8 to 10 of 20 networks gave it under 40 %.
        => FairRounds(10, (a, b) => [
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0),
            Net.Processes.WriteForeverBlocking(b.Writer())]);

    [Fact]
    public Task A_blocking_fair_select_between_a_channel_two_blocking_writers_share_and_one_with_one_starves_neither()
        => FairRounds(10, (a, b) => [
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.FairCountsBlocking(a.Reader(), b.Reader(), 1_000, warmUps: 0),
            Net.Processes.WriteForeverBlocking(b.Writer())]);

    [Fact]
    public Task A_blocking_fair_select_between_two_channels_each_shared_by_two_blocking_writers_starves_neither()
        => FairRounds(10, (a, b) => [
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.FairCountsBlocking(a.Reader(), b.Reader(), 1_000, warmUps: 0),
            Net.Processes.WriteForeverBlocking(b.Writer()),
            Net.Processes.WriteForeverBlocking(b.Writer())]);

    [Fact]
    public Task Fair_select_between_output_guards_to_a_channel_two_blocking_readers_share_and_one_with_one_starves_neither()
        => FairRounds(10, (a, b) => [
            Net.Processes.ReadForeverBlocking(a.Reader()),
            Net.Processes.ReadForeverBlocking(a.Reader()),
            Net.Processes.FairOffers(a.Writer(), b.Writer(), 1_000),
            Net.Processes.ReadForeverBlocking(b.Reader())]);

    [Fact]
    public Task A_fair_select_from_its_first_moment_waits_for_a_writer_whose_process_starts_late()
        // The second writer's process uses its end 50 ms after the network started (on a loaded host a new thread waits
        // that long for a core): the reader waits for it at its first turn rather than make its thousand selections
        // with the first writer meanwhile (which gave that writer every one of them).
        => FairRounds(3, (a, b) => [
            Net.Processes.WriteForeverBlocking(a.Writer()),
            Net.Processes.SleepThenWriteForeverBlocking(b.Writer(), 50),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public async Task A_fair_select_does_not_wait_for_an_end_whose_process_started_and_does_not_use_it()
    {
        // The quit channel's writer is held by a process that has started (it waits on another channel) and never
        // writes: no alternation waits for it, and every value comes from the data channel.
        var data = CspChannel.Create<long>();
        var quit = CspChannel.Create<long>();
        var stop = CspChannel.Create<long>();
        object?[] results = await Csp.Parallel(
            Net.Processes.WriteForever(data.Writer()),
            Net.Processes.HoldUnused(quit.Writer(), stop.Reader()),
            Net.Processes.FairBesideUnused(data.Reader(), quit.Reader(), stop.Writer(), 200)).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal([400, 0, 0, 0], (int[])results[2]!);
    }

    [Fact]
    public async Task A_fair_select_waits_in_vain_once_for_an_end_whose_process_has_used_no_channel_yet()
    {
        // The quit channel's writer is held by a process that waits for something else before any channel operation:
        // the first alternation waits for it once (it might have been starting), the second not at all, and every
        // value comes from the data channel.
        Net.UnusedReleased.Reset();
        var data = CspChannel.Create<long>();
        var quit = CspChannel.Create<long>();
        var stop = CspChannel.Create<long>();
        object?[] results = await Csp.Parallel(
            Net.Processes.WriteForever(data.Writer()),
            Net.Processes.HoldUnusedUntilReleased(quit.Writer()),
            Net.Processes.FairBesideUnused(data.Reader(), quit.Reader(), stop.Writer(), 200),
            Net.Processes.Collect(stop.Reader())).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal([400, 0, 1, 0], (int[])results[2]!);
    }

    [Fact]
    public async Task A_fair_select_does_not_keep_waiting_for_a_writer_that_writes_now_and_then()
    {
        // One writer writes every 30 ms, the other always. The first's value is taken at one of its turns per tick, but
        // at the thousands of others it is not back, so it is no steady writer: the reader waits for it (20 ms at most,
        // the other writer stalled meanwhile) once, before it knows, not again every few ticks (about six times in 60
        // ticks when a turn it was not back at cost it nothing). Counted by the alternation itself, not by the clock:
        // on a loaded host the reader's own turns take 19 ms now and then.
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        object?[] results = await Csp.Parallel(
            Net.Processes.WriteEvery(a.Writer(), 30),
            Net.Processes.WriteForever(b.Writer()),
            Net.Processes.FairGaps(a.Reader(), b.Reader(), 60, 19)).WaitAsync(TimeSpan.FromSeconds(60), Token);

        int[] counts = (int[])results[2]!;
        Assert.True(counts[3] <= 2, $"the reader waited in vain for the writer that writes every 30 ms {counts[3]} times ({counts[2]} selections took 19 ms or longer; {counts[0]} values from that writer, {counts[1]} from the other)");
    }

    [Fact]
    public async Task A_blocking_fair_select_does_not_wait_for_a_writer_in_its_own_process_that_computes_between_its_values()
    {
        // The local writer is off the core for 20 ms after every value: the blocking reader takes the other writer's
        // values meanwhile (it waits for the local one only while it is prompt), so it is chosen at a minority of turns.
        var a = CspChannel.Create<long>();
        var b = CspChannel.Create<long>();
        object?[] results = await Csp.Parallel(
            Net.Processes.WriteForeverStalling(a.Writer(), 1, 20),
            Net.Processes.WriteForever(b.Writer()).InOsProcess(),
            Net.Processes.FairCountsBlocking(a.Reader(), b.Reader(), 1_000, warmUps: 2)).WaitAsync(TimeSpan.FromSeconds(60), Token);

        int[] counts = (int[])results[2]!;
        Assert.True(counts[0] < 250, $"the computing writer was chosen {counts[0]} times of 1,000, the other {counts[1]}");
    }

    [Fact]
    public Task A_network_starts_together_so_a_reader_selecting_at_once_finds_writers_in_OS_processes_running()
        // Csp.Parallel starts its in-process members once its OS-process members' methods run: a reader that selects
        // from its first moment does not spend a process start's tens of milliseconds choosing the one writer that runs.
        => FairRounds(5, (a, b) => [
            Net.Processes.WriteForever(a.Writer()).InOsProcess(),
            Net.Processes.WriteForever(b.Writer()).InOsProcess(),
            Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 0)]);

    [Fact]
    public Task Fair_select_between_two_readers_in_their_own_OS_processes_starves_neither()
        // The other way round: a writer offering to two readers that read for ever, each in an OS process of its own.
        => FairRounds(5, (a, b) => [
            Net.Processes.ReadForever(a.Reader()).InOsProcess(),
            Net.Processes.ReadForever(b.Reader()).InOsProcess(),
            Net.Processes.FairOffers(a.Writer(), b.Writer(), 1_000)],
            counted: ("GivenReads", "GivenReadsInFlight"));

    [Fact]
    public Task Writers_in_the_readers_own_process_on_shared_channels_are_not_waited_for()
        // Channels in shared memory whose writers run in the reader's process: those run again before the reader selects
        // again (the runner's FIFO), so the takes are not counted as writers on their way back (a fair selection would
        // otherwise wait for a writer queued behind itself).
        => FairRounds(5, (a, b) =>
        {
            Promote(a);
            Promote(b);
            return [
                Net.Processes.WriteForever(a.Writer()),
                Net.Processes.WriteForever(b.Writer()),
                Net.Processes.FairCounts(a.Reader(), b.Reader(), 1_000, warmUps: 10)];
        },
        uncounted: "TakenWrites");

    /// <summary>
    /// Runs <paramref name="rounds"/> networks over two fresh channels whose third process returns how often a fair
    /// selection chose each; neither may be under 400 of 1,000. <paramref name="counted"/>: a shared-memory counter of
    /// hand-overs across processes that must have counted most of them, and its in-flight part that must be back to
    /// zero; <paramref name="uncounted"/>: one that must have counted none.
    /// </summary>
    private static async Task FairRounds(
        int rounds, Func<CspChannel<long>, CspChannel<long>, CspProcessCall[]> network, (string Ever, string InFlight)? counted = null, string? uncounted = null)
    {
        for (int round = 0; round < rounds; round++)
        {
            var a = CspChannel.Create<long>();
            var b = CspChannel.Create<long>();
            object?[] results = await Csp.Parallel(network(a, b)).WaitAsync(TimeSpan.FromSeconds(60), Token);

            int[] counts = (int[])results[2]!;
            Assert.True(counts[0] >= 400 && counts[1] >= 400, $"round {round}: a chosen {counts[0]} times, b {counts[1]} times");
            foreach (var channel in new[] { a, b })
            {
                if (counted is var (ever, inFlight))
                {
                    Assert.True(SharedCount(channel, ever) >= 400, $"round {round}: {SharedCount(channel, ever)} hand-overs counted ({ever})");
                    Assert.Equal(0, SharedCount(channel, inFlight));
                }

                if (uncounted is not null)
                {
                    Assert.Equal(0, SharedCount(channel, uncounted));
                }
            }
        }
    }

    /// <summary>Moves a channel to shared memory now, as giving an end to an OS process would (internal: by reflection).</summary>
    private static void Promote(CspChannel channel)
        => channel.GetType().GetMethod("Promote", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!.Invoke(channel, null);

    /// <summary>A counter of a channel's state in shared memory (internal: read by reflection, as <c>ArenaReclaimTests</c> does).</summary>
    private static int SharedCount(CspChannel channel, string counter)
    {
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        object shared = channel.GetType().GetProperty("Shared", Any)!.GetValue(channel)
            ?? throw new InvalidOperationException($"The channel '{channel.Name}' is not in shared memory.");
        return (int)shared.GetType().GetProperty(counter, Any)!.GetValue(shared)!;
    }
}
