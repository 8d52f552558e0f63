using System;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>The armed form of the cross-process wait: one wake-up per sleep, and none lost.</summary>
public sealed class WaitWordTests
{
    private static readonly ulong Tag = SharedSegment.TypeTag("WaitWordTests", typeof(int), sizeof(int));

    [Fact]
    public unsafe void A_stream_of_signals_wakes_a_sleeper_once_until_it_arms_again()
    {
        using SharedSegment segment = SharedSegment.Create(64, Tag);
        int* words = (int*)segment.Data;
        var wait = new WaitWord(words, words + 1, words + 2);

        wait.AdvanceIfArmed();
        Assert.Equal(0, words[0]); // nobody sleeps

        words[1] = 1; // a sleeper, armed
        words[2] = 1;
        wait.AdvanceIfArmed();
        Assert.Equal(1, words[0]);
        Assert.Equal(0, words[2]);

        wait.AdvanceIfArmed();
        wait.AdvanceIfArmed();
        Assert.Equal(1, words[0]); // still waking up: no further system call

        wait.Advance(int.MaxValue); // a close wakes whoever sleeps, armed or not
        Assert.Equal(2, words[0]);
    }

    [Fact]
    public async Task Two_threads_that_wait_on_each_other_without_time_slices_never_miss_a_wake_up()
    {
        // Each side sleeps with no slice (a lost wake-up would hang it for ever, and the test would time out), on its
        // own armed word, and hands the turn over with AdvanceIfArmed.
        const int Rounds = 20_000;
        using SharedSegment segment = SharedSegment.Create(64, Tag);
        await PingPong(segment, Rounds).WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
        Assert.Equal(2 * Rounds, segment.Field<int>(32));
    }

    private static unsafe Task PingPong(SharedSegment segment, int rounds)
    {
        int* words = (int*)segment.Data;
        var first = new WaitWord(words, words + 1, words + 2);
        var second = new WaitWord(words + 4, words + 5, words + 6);

        Task Side(WaitWord mine, WaitWord theirs, int parity) => Task.Factory.StartNew(
            () =>
            {
                int* turn = (int*)segment.Data + 8;
                for (int round = 0; round < rounds; round++)
                {
                    var myTurn = new TurnIs(turn, (2 * round) + parity);
                    Assert.True(mine.WaitUntil(ref myTurn, Deadline.Never, segment, sliceMilliseconds: -1));
                    Interlocked.Increment(ref *turn);
                    theirs.AdvanceIfArmed();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        return Task.WhenAll(Side(first, second, 0), Side(second, first, 1));
    }

    private readonly unsafe struct TurnIs(int* turn, int value) : IWaitCondition
    {
        public bool IsMet() => Volatile.Read(ref *turn) == value;
    }
}
