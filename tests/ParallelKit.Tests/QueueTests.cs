using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>ProcessQueue across threads and processes.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class QueueTests
{
    [Fact]
    public async Task Items_put_by_a_child_process_arrive_in_order()
    {
        using var queue = new ProcessQueue<int>();
        using var producer = ParallelProcess.Start(QueueJobs.Jobs.Produce(queue, 0, 10_000));
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal(i, queue.Get(TimeSpan.FromSeconds(60)));
        }

        await producer.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, producer.ExitCode);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task A_producer_exits_without_waiting_for_a_consumer_and_nothing_is_lost()
    {
        // Python's join-before-drain deadlock (cpython#73983): join first, drain after.
        using var queue = new ProcessQueue<int>();
        using (var producer = ParallelProcess.Start(QueueJobs.Jobs.Produce(queue, 0, 50_000)))
        {
            await producer.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, producer.ExitCode);
        }

        Assert.Equal(50_000, queue.Count);
        Assert.Equal(Enumerable.Range(0, 50_000), Enumerable.Range(0, 50_000).Select(_ => queue.Get(TimeSpan.Zero)));
    }

    [Fact]
    public async Task A_producer_killed_after_its_puts_loses_none_of_them()
    {
        using var queue = new ProcessQueue<int>();
        using (var producer = ParallelProcess.Start(QueueJobs.Jobs.ProduceThenDie(queue, 777)))
        {
            await producer.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, producer.ExitCode);
        }

        Assert.Equal(Enumerable.Range(0, 777), Enumerable.Range(0, 777).Select(_ => queue.Get(TimeSpan.Zero)));
        Assert.False(queue.TryGet(out _));
    }

    [Fact]
    public void Producers_killed_in_the_middle_of_their_puts_leave_a_consistent_queue()
    {
        // SIGKILL lands anywhere in a tight Put loop, often while the producer holds the queue's lock. Whatever
        // it had committed arrives, in order, nothing half-written is read, and the count stays right: a
        // sentinel put afterwards is the next item, not a leftover the count had lost.
        using var queue = new ProcessQueue<int>();
        for (int round = 0; round < 8; round++)
        {
            int first = round * 100_000_000;
            using (var producer = ParallelProcess.Start(QueueJobs.Jobs.Produce(queue, first, 100_000_000)))
            {
                KillWhen(producer, () => queue.Count >= 2_000 + (round * 997));
            }

            var items = new List<int>();
            while (queue.TryGet(out int item))
            {
                items.Add(item);
            }

            Assert.True(items.Count >= 2_000, $"round {round}: only {items.Count} items");
            Assert.Equal(Enumerable.Range(first, items.Count), items);
            Assert.Equal(0, queue.Count);
            queue.Put(-1);
            Assert.Equal(-1, queue.Get(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public void Consumers_killed_in_the_middle_of_their_gets_leave_a_consistent_queue()
    {
        // SIGKILL lands anywhere in a tight Get loop, often while the consumer holds the consumers' lock, between
        // taking an item and counting it. What it had not taken is still there, in order, nothing is taken twice, and
        // the count is right again for the next consumer.
        const int Items = 1_000_000;
        using var queue = new ProcessQueue<int>();
        for (int i = 0; i < Items; i++)
        {
            queue.Put(i);
        }

        for (int round = 0; round < 4; round++)
        {
            long before = queue.Count;
            using var consumer = ParallelProcess.Start(QueueJobs.Jobs.ConsumeForever(queue));
            KillWhen(consumer, () => queue.Count <= before - 1_000 - (round * 997));
        }

        var items = new List<int>();
        while (queue.TryGet(out int item))
        {
            items.Add(item);
        }

        Assert.Equal(Enumerable.Range(Items - items.Count, items.Count), items);
        Assert.Equal(0, queue.Count);
        queue.Put(-1);
        Assert.Equal(1, queue.Count);
        Assert.Equal(-1, queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Byte_array_producers_and_consumers_killed_mid_operation_leave_a_consistent_queue()
    {
        // Byte arrays take a path of their own into and out of the chunks (no MemoryPack writer or reader): the same
        // guarantees as for other items, whatever instant SIGKILL lands on. Items vary in length so that records
        // straddle chunk ends.
        using var queue = new ProcessQueue<byte[]>();
        for (int round = 0; round < 4; round++)
        {
            int first = round * 100_000_000;
            using (var producer = ParallelProcess.Start(QueueJobs.Jobs.ProduceBytes(queue, first, 100_000_000)))
            {
                KillWhen(producer, () => queue.Count >= 100_000 + (round * 997));
            }

            long before = queue.Count;
            using (var consumer = ParallelProcess.Start(QueueJobs.Jobs.ConsumeBytesForever(queue)))
            {
                KillWhen(consumer, () => queue.Count <= before - 1_000 - (round * 997));
            }

            var numbers = new List<int>();
            while (queue.TryGet(out byte[] item))
            {
                int number = BitConverter.ToInt32(item);
                Assert.Equal(QueueJobs.NumberedBytes(number), item);
                numbers.Add(number);
            }

            // The consumer took a prefix of the items, no more: what is left runs on to the last item committed.
            Assert.True(numbers.Count == 0 || (numbers[0] >= first && numbers.SequenceEqual(Enumerable.Range(numbers[0], numbers.Count))), $"round {round}: not one run");
            Assert.Equal(0, queue.Count);
            queue.Put([]);
            Assert.Empty(queue.Get(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public void A_producer_killed_while_a_consumer_streams_leaves_it_every_committed_item_in_order()
    {
        // The consumer reads while the producer writes (they hold different locks): a producer killed in the middle
        // of a put, the consumer still gets every item committed before, in order, nothing torn, and then a plain
        // time-out rather than a hang; the queue goes on.
        using var queue = new ProcessQueue<int>();
        var received = new List<int>();
        using (var producer = ParallelProcess.Start(QueueJobs.Jobs.Produce(queue, 0, int.MaxValue)))
        {
            for (int i = 0; i < 50_000; i++)
            {
                received.Add(queue.Get(TimeSpan.FromSeconds(60)));
            }

            producer.Kill();
            Assert.True(producer.Join(TimeSpan.FromSeconds(30)));
        }

        void GetAll()
        {
            while (true)
            {
                received.Add(queue.Get(TimeSpan.FromSeconds(2)));
            }
        }

        Assert.Throws<TimeoutException>(GetAll);
        Assert.Equal(Enumerable.Range(0, received.Count), received);
        queue.Put(-1);
        Assert.Equal(-1, queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Many_producers_and_consumers_deliver_every_item_exactly_once()
    {
        using var queue = new ProcessQueue<int>(capacity: 1000);
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        const int PerProducer = 20_000;
        using var producerA = ParallelProcess.Start(QueueJobs.Jobs.Produce(queue, 0, PerProducer));
        using var producerB = ParallelProcess.Start(QueueJobs.Jobs.Produce(queue, PerProducer, PerProducer));
        var consumers = Enumerable.Range(0, 2).Select(_ => server.Submit(QueueJobs.Jobs.ConsumeUntilStop(queue))).ToArray();
        var local = Task.Run(() =>
        {
            var taken = new System.Collections.Generic.List<int>();
            for (int i = 0; i < 5_000; i++)
            {
                taken.Add(queue.Get(TimeSpan.FromSeconds(60)));
            }

            return taken;
        });

        await Task.WhenAll(producerA.JoinAsync(), producerB.JoinAsync()).WaitAsync(TimeSpan.FromSeconds(120));
        var mine = await local.WaitAsync(TimeSpan.FromSeconds(120));
        queue.Put(-1);
        queue.Put(-1);
        var theirs = await Task.WhenAll(consumers.Select(c => c.Completion)).WaitAsync(TimeSpan.FromSeconds(120));

        int[] all = [.. mine, .. theirs.SelectMany(t => t)];
        Assert.Equal(2 * PerProducer, all.Length);
        Assert.Equal(Enumerable.Range(0, 2 * PerProducer), all.Order());
    }

    [Fact]
    public async Task Items_larger_than_a_chunk_cross_between_threads_that_put_and_get_at_once()
    {
        // Each item gets a chunk of its own, which the producer's process unmaps once consumers are past it: here the
        // consumer is a thread of the same process, reading items in place while the producer moves on.
        const int Items = 40;
        const int Length = (3 << 20) / 2;
        using var queue = new ProcessQueue<byte[]>();
        var producer = Task.Run(
            () =>
            {
                for (int n = 0; n < Items; n++)
                {
                    byte[] item = new byte[Length];
                    item.AsSpan().Fill((byte)n);
                    queue.Put(item);
                }
            },
            TestContext.Current.CancellationToken);
        for (int n = 0; n < Items; n++)
        {
            byte[] item = queue.Get(TimeSpan.FromSeconds(60));
            Assert.Equal(Length, item.Length);
            Assert.True(item.AsSpan().IndexOfAnyExcept((byte)n) < 0, $"item {n} is not intact");
        }

        await producer.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.False(queue.TryGet(out _));
    }

    [Fact]
    public async Task A_64_MiB_item_crosses_intact()
    {
        const int Length = 64 << 20;
        using var queue = new ProcessQueue<byte[]>();
        using var producer = ParallelProcess.Start(QueueJobs.Jobs.PutLarge(queue, Length));
        byte[] item = queue.Get(TimeSpan.FromSeconds(120));
        await producer.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Length, item.Length);
        for (int i = 0; i < Length; i += 4093)
        {
            Assert.Equal((byte)(i * 31 + 7), item[i]);
        }
    }

    [Fact]
    public async Task A_bounded_queue_applies_back_pressure_and_gets_time_out()
    {
        using var queue = new ProcessQueue<string>(capacity: 2);
        queue.Put("a");
        Assert.True(queue.TryPut("b", TimeSpan.Zero));
        Assert.False(queue.TryPut("c", TimeSpan.FromMilliseconds(50)));
        var waiting = Task.Run(() => queue.TryPut("c", TimeSpan.FromSeconds(30)));
        Assert.Equal("a", queue.Get());
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("b", queue.Get());
        Assert.Equal("c", queue.Get());
        Assert.Throws<TimeoutException>(() => queue.Get(TimeSpan.FromMilliseconds(50)));
        Assert.False(queue.TryGet(out _));
    }

    [Fact]
    public async Task Close_ends_the_stream_for_consumers_and_refuses_puts()
    {
        using var queue = new ProcessQueue<int>();
        Task<int> waiting = queue.GetAsync().AsTask();
        queue.Put(5);
        Assert.Equal(5, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        queue.Put(6);
        queue.Close();
        Assert.Throws<InvalidOperationException>(() => queue.Put(7));
        Assert.Equal(6, queue.Get());
        Assert.Throws<InvalidOperationException>(() => queue.Get());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await queue.GetAsync());
    }

    [Fact]
    public void An_item_that_cannot_be_read_fails_one_get_and_the_queue_goes_on()
    {
        using var queue = new ProcessQueue<SharedValue<int>>();
        var gone = new SharedValue<int>(1);
        using var kept = new SharedValue<int>(2);
        queue.Put(gone);
        queue.Put(kept);
        gone.Dispose(); // its owner removes it: the handle in the queue can no longer be opened
        var error = Assert.Throws<InvalidOperationException>(() => queue.Get(TimeSpan.FromSeconds(5)));
        Assert.Contains("no longer exists", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, queue.Get(TimeSpan.FromSeconds(5)).Value);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Its_files_are_private_and_gone_after_the_owner_disposes_it()
    {
        var queue = new ProcessQueue<string>();
        string prefix = queue.HandleName;
        for (int i = 0; i < 3000; i++)
        {
            queue.Put(new string('x', 1000)); // about three chunks
        }

        string[] files = Directory.GetFiles("/dev/shm", prefix + "*");
        Assert.True(files.Length >= 3, string.Join(", ", files));
        Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        for (int i = 0; i < 3000; i++)
        {
            Assert.Equal(1000, queue.Get().Length);
        }

        // Chunks the consumer has passed are reused: a steady stream creates no new files.
        for (int i = 0; i < 2000; i++)
        {
            queue.Put(new string('y', 1000));
        }

        Assert.Equal(files.Length, Directory.GetFiles("/dev/shm", prefix + "*").Length);

        // An item larger than a chunk gets a chunk of its own, removed once it has been read.
        queue.Put(new string('z', 3 << 20));
        Assert.Equal(files.Length + 1, Directory.GetFiles("/dev/shm", prefix + "*").Length);
        for (int i = 0; i < 2000; i++)
        {
            Assert.Equal(1000, queue.Get().Length);
        }

        Assert.Equal(3 << 20, queue.Get().Length);
        queue.Put("after");
        Assert.Equal("after", queue.Get());
        Assert.Equal(files.Length, Directory.GetFiles("/dev/shm", prefix + "*").Length);
        queue.Dispose();
        Assert.Empty(Directory.GetFiles("/dev/shm", prefix + "*"));
    }

    /// <summary>SIGKILLs <paramref name="process"/> once <paramref name="ready"/> holds (or after a minute), and reaps it.</summary>
    private static void KillWhen(ParallelProcess process, Func<bool> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ready() && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        process.Kill();
        Assert.True(process.Join(TimeSpan.FromSeconds(30)));
    }
}
