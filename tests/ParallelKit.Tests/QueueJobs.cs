using System;
using System.Collections.Generic;

namespace ParallelKit.Tests;

/// <summary>Jobs producing to and consuming from process queues, passed by handle.</summary>
public static partial class QueueJobs
{
    /// <summary>Puts <paramref name="count"/> numbers starting at <paramref name="first"/>.</summary>
    [ParallelJob]
    public static void Produce(ProcessQueue<int> queue, int first, int count)
    {
        for (int i = 0; i < count; i++)
        {
            queue.Put(first + i);
        }
    }

    /// <summary>Puts <paramref name="count"/> byte arrays numbered from <paramref name="first"/> (see <see cref="NumberedBytes"/>).</summary>
    [ParallelJob]
    public static void ProduceBytes(ProcessQueue<byte[]> queue, int first, int count)
    {
        for (int i = 0; i < count; i++)
        {
            queue.Put(NumberedBytes(first + i));
        }
    }

    /// <summary>Takes byte arrays for as long as it lives (the test kills it).</summary>
    [ParallelJob(Retry = false)]
    public static void ConsumeBytesForever(ProcessQueue<byte[]> queue)
    {
        while (true)
        {
            queue.Get();
        }
    }

    /// <summary>Item <paramref name="number"/> of a byte-array stream: its number, then a length that varies with it, each byte saying where it is.</summary>
    public static byte[] NumberedBytes(int number)
    {
        byte[] bytes = new byte[4 + (number % 61)];
        BitConverter.TryWriteBytes(bytes, number);
        for (int i = 4; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(number + i);
        }

        return bytes;
    }

    /// <summary>Takes items for as long as it lives (the test kills it).</summary>
    [ParallelJob(Retry = false)]
    public static void ConsumeForever(ProcessQueue<int> queue)
    {
        while (true)
        {
            queue.Get();
        }
    }

    /// <summary>Takes items until it reads -1; returns what it took.</summary>
    [ParallelJob]
    public static List<int> ConsumeUntilStop(ProcessQueue<int> queue)
    {
        var taken = new List<int>();
        while (true)
        {
            int item = queue.Get(TimeSpan.FromSeconds(60));
            if (item == -1)
            {
                return taken;
            }

            taken.Add(item);
        }
    }

    /// <summary>Puts <paramref name="count"/> items, then dies at once.</summary>
    [ParallelJob(Retry = false)]
    public static void ProduceThenDie(ProcessQueue<int> queue, int count)
    {
        for (int i = 0; i < count; i++)
        {
            queue.Put(i);
        }

        Environment.FailFast("a producer killed right after its puts (expected by the test)");
    }

    /// <summary>Puts a large array whose bytes are a known pattern.</summary>
    [ParallelJob]
    public static void PutLarge(ProcessQueue<byte[]> queue, int length)
    {
        byte[] item = new byte[length];
        for (int i = 0; i < length; i++)
        {
            item[i] = (byte)(i * 31 + 7);
        }

        queue.Put(item);
    }

    /// <summary>Takes items until -1, adding each to <paramref name="sum"/> and marking each done (the -1 too).</summary>
    [ParallelJob]
    public static void ConsumeAndMarkDone(JoinableProcessQueue<int> queue, SharedValue<long> sum)
    {
        while (true)
        {
            int item = queue.Get(TimeSpan.FromSeconds(60));
            if (item >= 0)
            {
                sum.Update(s => s + item);
            }

            queue.TaskDone();
            if (item < 0)
            {
                return;
            }
        }
    }
}
