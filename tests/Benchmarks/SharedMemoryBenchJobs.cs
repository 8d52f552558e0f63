using System;

namespace ParallelKit.Benchmarks;

/// <summary>The child-process workloads of <c>lock_pingpong</c> and <c>shared_value</c>, as in the Python scripts.</summary>
public static partial class SharedMemoryBenchJobs
{
    /// <summary><c>hammer</c>: waits at the start barrier, then <paramref name="n"/> acquire/release pairs; signals done.</summary>
    [ParallelJob]
    public static void Hammer(ProcessLock theLock, int n, ProcessBarrier barrier, ProcessSemaphore done)
    {
        barrier.SignalAndWait();
        for (int i = 0; i < n; i++)
        {
            theLock.Acquire();
            theLock.Release();
        }

        done.Release();
    }

    /// <summary><c>ponger</c>: answers each ping with a pong.</summary>
    [ParallelJob]
    public static void Ponger(ProcessSemaphore ping, ProcessSemaphore pong, int total)
    {
        for (int i = 0; i < total; i++)
        {
            ping.Wait();
            pong.Release();
        }
    }

    /// <summary><c>locked_incr</c>: waits at the start barrier, then <paramref name="n"/> × <c>with v.get_lock(): v.value += 1.0</c>.</summary>
    [ParallelJob]
    public static void LockedIncrement(SharedValue<double> value, int n, ProcessBarrier barrier, ProcessSemaphore done)
    {
        barrier.SignalAndWait();
        for (int i = 0; i < n; i++)
        {
            using (value.Lock())
            {
                value.Value += 1.0;
            }
        }

        done.Release();
    }

    /// <summary><c>queue_producer</c>: for each count on the control queue, puts that many payloads of <paramref name="size"/> bytes; stops at -1.</summary>
    [ParallelJob]
    public static void QueueProducer(ProcessQueue<int> control, ProcessQueue<byte[]> data, int size)
    {
        byte[] payload = new byte[size];
        payload.AsSpan().Fill((byte)'x');
        while (true)
        {
            int count = control.Get();
            if (count < 0)
            {
                return;
            }

            for (int i = 0; i < count; i++)
            {
                data.Put(payload);
            }
        }
    }

    /// <summary><c>pipe_producer</c>: for each count received on the control pipe, sends that many payloads; stops at -1.</summary>
    [ParallelJob]
    public static void PipeProducer(PipeEnd<int> control, PipeEnd<byte[]> data, int size)
    {
        byte[] payload = new byte[size];
        payload.AsSpan().Fill((byte)'x');
        while (true)
        {
            int count = control.Receive();
            if (count < 0)
            {
                data.Dispose();
                return;
            }

            for (int i = 0; i < count; i++)
            {
                data.Send(payload);
            }
        }
    }

    /// <summary><c>child</c> of manager_dict: times its own set+get loop (keys cycle over 64 ints) and returns the per-rep times per op.</summary>
    [ParallelJob]
    public static double[] ManagerSetGet(SharedDictionary<int, int> d, int n, int reps)
    {
        double[] times = new double[reps];
        for (int r = 0; r < reps + 1; r++)
        {
            int count = r == 0 ? System.Math.Max(1, n / 5) : n;
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            int x = -1;
            for (int i = 0; i < count; i++)
            {
                int k = i & 63;
                d[k] = i;
                x = d[k];
            }

            double dt = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (x != count - 1)
            {
                throw new System.InvalidOperationException($"read {x}, expected {count - 1}");
            }

            if (r > 0)
            {
                times[r - 1] = dt / count;
            }
        }

        return times;
    }
}
