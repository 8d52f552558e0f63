using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>Channels in one process: rendezvous, buffering, any-to-any, poison and retire.</summary>
public sealed class CspChannelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unbuffered_write_completes_only_when_a_reader_has_taken_the_value()
    {
        var c = CspChannel.Create<int>();
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();

        ValueTask write = writer.WriteAsync(42, Token);
        await Task.Yield();
        Assert.False(write.IsCompleted);

        Assert.Equal(42, await reader.ReadAsync(Token));
        await write;
    }

    [Fact]
    public async Task A_buffered_channel_takes_as_many_writes_as_its_buffer_then_waits()
    {
        var c = CspChannel.Create<int>(buffer: 2);
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();

        await writer.WriteAsync(1, Token);
        await writer.WriteAsync(2, Token);
        ValueTask third = writer.WriteAsync(3, Token);
        Assert.False(third.IsCompleted);

        Assert.Equal(1, reader.Read());
        await third;
        Assert.Equal(2, reader.Read());
        Assert.Equal(3, reader.Read());
    }

    [Fact]
    public async Task Many_writers_and_readers_deliver_every_value_exactly_once()
    {
        var c = CspChannel.Create<int>();
        const int Writers = 4, PerWriter = 2_000, Readers = 3;
        var received = new ConcurrentBag<int>();
        ChannelOut<int>[] writers = [.. Enumerable.Range(0, Writers).Select(_ => c.Writer())];
        ChannelIn<int>[] readers = [.. Enumerable.Range(0, Readers).Select(_ => c.Reader())];

        Task[] writing = [.. writers.Select((w, i) => Task.Run(async () =>
        {
            for (int k = 0; k < PerWriter; k++)
            {
                if (k % 2 == 0)
                {
                    await w.WriteAsync((i * PerWriter) + k);
                }
                else
                {
                    w.Write((i * PerWriter) + k);
                }
            }

            w.Retire();
        }))];
        Task[] reading = [.. readers.Select(r => Task.Run(async () =>
        {
            await foreach (int v in r)
            {
                received.Add(v);
            }
        }))];

        await Task.WhenAll(writing.Concat(reading)).WaitAsync(Token);
        Assert.Equal(Enumerable.Range(0, Writers * PerWriter), received.OrderBy(v => v));
    }

    [Fact]
    public async Task Poison_from_a_reader_fails_the_waiting_writer_and_every_later_operation()
    {
        var c = CspChannel.Create<int>();
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();
        ValueTask pending = writer.WriteAsync(1, Token);

        reader.Poison();

        await Assert.ThrowsAsync<ChannelPoisonedException>(async () => await pending);
        Assert.Throws<ChannelPoisonedException>(() => writer.Write(2));
        Assert.Throws<ChannelPoisonedException>(() => reader.Read());
        Assert.True(c.IsPoisoned);
    }

    [Fact]
    public async Task Poison_from_a_writer_on_a_buffered_channel_lets_readers_drain_the_buffer_first()
    {
        var c = CspChannel.Create<int>(buffer: 3);
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();
        writer.Write(1);
        writer.Write(2);

        writer.Poison();

        Assert.Throws<ChannelPoisonedException>(() => writer.Write(3));
        Assert.Equal(1, await reader.ReadAsync(Token));
        Assert.Equal(2, await reader.ReadAsync(Token));
        await Assert.ThrowsAsync<ChannelPoisonedException>(async () => await reader.ReadAsync(Token));
    }

    [Fact]
    public async Task A_writer_that_poisons_right_after_its_last_unbuffered_write_loses_no_message()
    {
        // PyCSP's race: poisoning from the writer end right after writing lost the last message (49 of 50).
        // Here a write completes only when a reader has the value, so poison cannot overtake it.
        for (int round = 0; round < 20; round++)
        {
            var c = CspChannel.Create<int>();
            ChannelOut<int> writer = c.Writer();
            ChannelIn<int> reader = c.Reader();
            Task producing = Task.Run(async () =>
            {
                for (int i = 0; i < 50; i++)
                {
                    await writer.WriteAsync(i);
                }

                writer.Poison();
            });
            var received = new List<int>();
            try
            {
                while (true)
                {
                    received.Add(await reader.ReadAsync(Token));
                }
            }
            catch (ChannelPoisonedException)
            {
            }

            await producing;
            Assert.Equal(Enumerable.Range(0, 50), received);
        }
    }

    [Fact]
    public async Task Retire_ends_the_readers_only_when_every_writer_end_retired_and_the_buffer_is_drained()
    {
        var c = CspChannel.Create<int>(buffer: 4);
        ChannelOut<int> first = c.Writer();
        ChannelOut<int> second = c.Writer();
        ChannelIn<int> reader = c.Reader();
        first.Write(1);
        first.Retire();
        second.Write(2);
        second.Retire();

        Assert.Throws<ChannelRetiredException>(() => first.Write(3));
        Assert.Equal(1, reader.Read());
        Assert.Equal(2, reader.Read());
        await Assert.ThrowsAsync<ChannelRetiredException>(async () => await reader.ReadAsync(Token));
    }

    [Fact]
    public void A_side_whose_ends_all_retired_stays_retired_and_makes_no_new_end()
    {
        var c = CspChannel.Create<int>(buffer: 4);
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();
        writer.Write(1);
        writer.Retire();

        ChannelRetiredException error = Assert.Throws<ChannelRetiredException>(() => c.Writer());
        Assert.Contains("stays retired", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, reader.Read()); // the buffered value is still delivered
        Assert.Throws<ChannelRetiredException>(() => reader.Read());

        ChannelIn<int> second = c.Reader(); // the reading side has not retired: another reader is fine
        reader.Retire();
        second.Retire();
        Assert.Throws<ChannelRetiredException>(() => c.Reader());
    }

    [Fact]
    public async Task Retiring_every_reader_fails_waiting_writers()
    {
        var c = CspChannel.Create<int>();
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> a = c.Reader();
        ChannelIn<int> b = c.Reader();
        ValueTask pending = writer.WriteAsync(1, Token);
        a.Retire();
        Assert.False(pending.IsCompleted);
        b.Retire();

        await Assert.ThrowsAsync<ChannelRetiredException>(async () => await pending);
        Assert.Throws<ChannelRetiredException>(() => a.Read());
    }

    [Fact]
    public async Task A_cancelled_read_takes_no_value()
    {
        var c = CspChannel.Create<int>();
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();
        using var cancel = new CancellationTokenSource();
        ValueTask<int> read = reader.ReadAsync(cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);

        ValueTask write = writer.WriteAsync(7, Token);
        Assert.False(write.IsCompleted);
        Assert.Equal(7, await reader.ReadAsync(Token));
        await write;
    }

    [Fact]
    public async Task A_token_cancelled_already_takes_no_ready_value_and_gives_none_as_with_dotnet_channels()
    {
        var c = CspChannel.Create<int>();
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();
        var cancelled = new CancellationToken(canceled: true);

        ValueTask write = writer.WriteAsync(7, Token);
        Assert.False(write.IsCompleted);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader.ReadAsync(cancelled));
        Assert.Throws<OperationCanceledException>(() => reader.Read(cancelled));
        var alternation = new Alternation(reader.Guard());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await alternation.FairSelectAsync(cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await alternation.PriSelectAsync(cancelled));
        Assert.False(write.IsCompleted);
        Assert.Equal(7, await reader.ReadAsync(Token));
        await write;

        ValueTask<int> read = reader.ReadAsync(Token);
        Assert.False(read.IsCompleted);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await writer.WriteAsync(8, cancelled));
        Assert.Throws<OperationCanceledException>(() => writer.Write(8, cancelled));
        Assert.False(read.IsCompleted);
        await writer.WriteAsync(9, Token);
        Assert.Equal(9, await read);
    }

    [Fact]
    public async Task Await_foreach_reads_until_the_writers_retire()
    {
        var c = CspChannel.Create<string>(buffer: 1);
        ChannelOut<string> writer = c.Writer();
        ChannelIn<string> reader = c.Reader();
        Task producing = Task.Run(() =>
        {
            foreach (string word in (string[])["a", "b", "c"])
            {
                writer.Write(word);
            }

            writer.Retire();
        });

        var words = new List<string>();
        await foreach (string word in reader.WithCancellation(Token))
        {
            words.Add(word);
        }

        await producing;
        Assert.Equal(["a", "b", "c"], words);
    }

    [Fact]
    public async Task A_finished_read_awaited_again_throws_instead_of_reading_nothing()
    {
        var c = CspChannel.Create<int>();
        ChannelOut<int> writer = c.Writer();
        ChannelIn<int> reader = c.Reader();

        ValueTask<int> read = reader.ReadAsync(Token);
        Assert.False(read.IsCompleted);
        await writer.WriteAsync(7, Token);
        Assert.Equal(7, await read);
#pragma warning disable CA2012 // awaited twice on purpose
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await read);
#pragma warning restore CA2012
    }
}
