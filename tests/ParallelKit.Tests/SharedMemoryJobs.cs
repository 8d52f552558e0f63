using System;
using System.Threading;

namespace ParallelKit.Tests;

/// <summary>Jobs over shared memory, passed by handle.</summary>
public static partial class SharedMemoryJobs
{
    /// <summary>The seed's Value/Array example: <c>n.value = 3.1415927; a[i] = -a[i]</c>.</summary>
    [ParallelJob]
    public static void PiAndNegate(SharedValue<double> number, SharedArray<int> array)
    {
        number.Value = 3.1415927;
        for (int i = 0; i < array.Length; i++)
        {
            array[i] = -array[i];
        }
    }

    /// <summary>Adds one, <paramref name="times"/> times, each a read and a write under the value's lock.</summary>
    [ParallelJob]
    public static void Increment(SharedValue<long> counter, int times)
    {
        for (int i = 0; i < times; i++)
        {
            using (counter.Lock())
            {
                counter.Value = counter.Value + 1;
            }
        }
    }

    /// <summary>Sums the array in place, under its lock.</summary>
    [ParallelJob]
    public static long Sum(SharedArray<int> array)
    {
        using (array.Lock())
        {
            long sum = 0;
            foreach (int item in array.AsSpan())
            {
                sum += item;
            }

            return sum;
        }
    }

    /// <summary>Takes the value's lock and dies holding it (SIGKILLs its own process).</summary>
    [ParallelJob(Retry = false)]
    public static void DieHoldingTheLock(SharedValue<long> counter)
    {
        LockScope held = counter.Lock();
        counter.Value = -1;
        Environment.FailFast("dies holding the lock (expected by the test)");
        held.Dispose();
    }

    /// <summary>The handle's name as the worker sees it, and whether the worker maps the same memory (it reads what the parent wrote).</summary>
    [ParallelJob]
    public static string Describe(SharedValue<int> value) => $"{value.HandleName} {value.Value}";

    /// <summary>Sleeps holding nothing; used to keep a worker busy.</summary>
    [ParallelJob]
    public static void Nap(int milliseconds) => Thread.Sleep(milliseconds);

    /// <summary>Creates a shared value owned by this process, reports its handle, and waits to be killed.</summary>
    [ParallelJob(Retry = false)]
    public static void CreateAndWait(ProcessQueue<string> report)
    {
        var value = new SharedValue<int>(1);
        var queue = new ProcessQueue<string>();
        queue.Put("an item in a chunk file of the queue");
        report.Put(value.HandleName);
        report.Put(queue.HandleName);
        Thread.Sleep(TimeSpan.FromMinutes(2));
        GC.KeepAlive(value);
        GC.KeepAlive(queue);
    }

    /// <summary>Creates (and disposes) a shared value: the first one in a process sweeps dead owners' segments.</summary>
    [ParallelJob]
    public static void CreateOne()
    {
        using var value = new SharedValue<int>(2);
    }
}
