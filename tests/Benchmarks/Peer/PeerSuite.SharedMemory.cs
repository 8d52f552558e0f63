using System;
using System.Diagnostics;
using System.Linq;

namespace ParallelKit.Benchmarks.Peer;

/// <summary><c>lock_pingpong</c> and <c>shared_value</c>: the workloads of the Python scripts of the same names.</summary>
public static partial class PeerSuite
{
    private static void LockPingPong()
    {
        int reps = s_quick ? 3 : 5;

        // uncontended: acquire + release pairs in one process (Python: mp.Lock, and threading.Lock for reference).
        int n1 = s_quick ? 200_000 : 2_000_000;
        using (var theLock = new ProcessLock())
        {
            Pairs(theLock, n1 / 10);
            double[] times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Pairs(theLock, n1);
                times[r] = Seconds(t0, Stopwatch.GetTimestamp()) / n1;
            }

            Report.Emit("lock_pingpong", "csharp-parallelkit", "uncontended_1proc", n1, times, "batch", ("note", "one op = ProcessLock Acquire + Release"));
        }

        var monitor = new System.Threading.Lock();
        {
            double[] times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < n1; i++)
                {
                    monitor.Enter();
                    monitor.Exit();
                }

                times[r] = Seconds(t0, Stopwatch.GetTimestamp()) / n1;
            }

            Report.Emit("lock_pingpong", "csharp-dotnet-lock", "uncontended_1thread", n1, times, "batch", ("note", "one op = System.Threading.Lock Enter + Exit"));
        }

        // contended: two child processes hammer one lock; the start barrier excludes their start-up.
        int n2 = s_quick ? 50_000 : 500_000;
        {
            var times = new double[reps];
            for (int r = 0; r < reps + 1; r++)
            {
                using var theLock = new ProcessLock();
                using var barrier = new ProcessBarrier(3);
                using var done = new ProcessSemaphore(0);
                ParallelProcess[] children = [.. Enumerable.Range(0, 2).Select(_ => ParallelProcess.Start(SharedMemoryBenchJobs.Jobs.Hammer(theLock, n2, barrier, done)))];
                barrier.SignalAndWait();
                long t0 = Stopwatch.GetTimestamp();
                done.Wait();
                done.Wait();
                double dt = Seconds(t0, Stopwatch.GetTimestamp());
                JoinAll(children);
                if (r > 0)
                {
                    times[r - 1] = dt / (2 * n2);
                }
            }

            Report.Emit("lock_pingpong", "csharp-parallelkit", "contended_2proc", 2 * n2, times, "batch", ("processes", 2), ("note", "one op = acquire + release"));
        }

        // semaphore hand-off: strict ping-pong with a child process; one op = one round trip.
        int n3 = s_quick ? 5_000 : 50_000;
        {
            int warm = Math.Max(100, n3 / 10);
            using var ping = new ProcessSemaphore(0);
            using var pong = new ProcessSemaphore(0);
            using var child = ParallelProcess.Start(SharedMemoryBenchJobs.Jobs.Ponger(ping, pong, warm + reps * n3));
            Rounds(ping, pong, warm);
            double[] times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Rounds(ping, pong, n3);
                times[r] = Seconds(t0, Stopwatch.GetTimestamp()) / n3;
            }

            child.Join();
            Check(child.ExitCode == 0, "ponger exit code");
            Report.Emit("lock_pingpong", "csharp-parallelkit", "semaphore_handoff_2proc", n3, times, "batch", ("processes", 2), ("note", "one op = one round trip"));
        }

        static void Pairs(ProcessLock theLock, int k)
        {
            for (int i = 0; i < k; i++)
            {
                theLock.Acquire();
                theLock.Release();
            }
        }

        static void Rounds(ProcessSemaphore ping, ProcessSemaphore pong, int k)
        {
            for (int i = 0; i < k; i++)
            {
                ping.Release();
                pong.Wait();
            }
        }
    }

    private static void SharedValueBench()
    {
        int reps = s_quick ? 3 : 5;

        // locked_incr_2proc: two child processes, `using (v.Lock()) v.Value += 1.0`, after a start barrier.
        int n = s_quick ? 20_000 : 200_000;
        {
            var times = new double[reps];
            for (int r = 0; r < reps + 1; r++)
            {
                using var value = new SharedValue<double>(0.0);
                using var barrier = new ProcessBarrier(3);
                using var done = new ProcessSemaphore(0);
                ParallelProcess[] children = [.. Enumerable.Range(0, 2).Select(_ => ParallelProcess.Start(SharedMemoryBenchJobs.Jobs.LockedIncrement(value, n, barrier, done)))];
                barrier.SignalAndWait();
                long t0 = Stopwatch.GetTimestamp();
                done.Wait();
                done.Wait();
                double dt = Seconds(t0, Stopwatch.GetTimestamp());
                JoinAll(children);
                Check(value.Value == 2.0 * n, $"locked_incr_2proc total {value.Value}");
                if (r > 0)
                {
                    times[r - 1] = dt / (2 * n);
                }
            }

            Report.Emit("shared_value", "csharp-parallelkit", "locked_incr_2proc", 2 * n, times, "batch", ("processes", 2));
        }

        // locked_incr_1proc: the same loop, uncontended.
        int n1 = s_quick ? 50_000 : 500_000;
        {
            using var value = new SharedValue<double>(0.0);
            Increment(value, n1 / 10);
            double[] times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Increment(value, n1);
                times[r] = Seconds(t0, Stopwatch.GetTimestamp()) / n1;
            }

            Report.Emit("shared_value", "csharp-parallelkit", "locked_incr_1proc", n1, times, "batch", ("processes", 1));
        }

        // raw_rw_nolock_1proc: Python's Value(lock=False); here the shared double read and written in place,
        // through SharedArray.AsSpan() inside one Lock() (no per-access lock, as lock=False).
        int n2 = s_quick ? 200_000 : 2_000_000;
        {
            using var raw = new SharedArray<double>(1);
            double[] times = new double[reps];
            using (raw.Lock())
            {
                ReadWrite(raw, n2 / 10);
                for (int r = 0; r < reps; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    ReadWrite(raw, n2);
                    times[r] = Seconds(t0, Stopwatch.GetTimestamp()) / n2;
                }
            }

            Report.Emit("shared_value", "csharp-parallelkit", "raw_rw_nolock_1proc", n2, times, "batch", ("processes", 1), ("note", "one op = one read + one write"));
        }

        // array_sum_slice: SharedArray<int>(1M) summed: in place under the lock, and as Python does, copy then sum.
        const int ArrayLength = 1_000_000;
        {
            using var array = new SharedArray<int>(Enumerable.Range(0, ArrayLength).ToArray());
            long expect = (long)ArrayLength * (ArrayLength - 1) / 2;
            int samples = s_quick ? reps : 10;
            foreach ((string impl, Func<SharedArray<int>, long> sum) in new (string, Func<SharedArray<int>, long>)[]
            {
                ("csharp-parallelkit-span", SumInPlace),
                ("csharp-parallelkit-toarray", static a => SumOf(a.ToArray())),
            })
            {
                Check(sum(array) == expect, "array sum");
                double[] times = new double[samples];
                for (int r = 0; r < samples; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    long s = sum(array);
                    times[r] = Seconds(t0, Stopwatch.GetTimestamp());
                    Check(s == expect, "array sum");
                }

                Report.Emit("shared_value", impl, "array_sum_slice", 1, times, "batch",
                    ("bytes_per_op", 4 * ArrayLength), ("array_len", ArrayLength), ("typecode", "i"));
            }
        }

        static void Increment(SharedValue<double> value, int k)
        {
            for (int i = 0; i < k; i++)
            {
                using (value.Lock())
                {
                    value.Value += 1.0;
                }
            }
        }

        static void ReadWrite(SharedArray<double> raw, int k)
        {
            Span<double> span = raw.AsSpan();
            for (int i = 0; i < k; i++)
            {
                span[0] = span[0] + 1.0;
            }
        }

        static long SumInPlace(SharedArray<int> array)
        {
            using (array.Lock())
            {
                return SumOf(array.AsSpan());
            }
        }

        static long SumOf(ReadOnlySpan<int> items)
        {
            long sum = 0;
            foreach (int item in items)
            {
                sum += item;
            }

            return sum;
        }
    }

    private static void QueueThroughput()
    {
        int reps = s_quick ? 3 : 5;
        foreach (int size in new[] { 64, 65536 })
        {
            int n = size == 64 ? (s_quick ? 20_000 : 200_000) : (s_quick ? 2_000 : 20_000);
            using var control = new ProcessQueue<int>();
            using var data = new ProcessQueue<byte[]>();
            using var producer = ParallelProcess.Start(SharedMemoryBenchJobs.Jobs.QueueProducer(control, data, size));
            var times = new double[reps];
            byte[] last = [];
            for (int r = 0; r < reps + 1; r++)
            {
                int count = r == 0 ? Math.Max(1, n / 5) : n;
                long t0 = Stopwatch.GetTimestamp();
                control.Put(count);
                for (int i = 0; i < count; i++)
                {
                    last = data.Get();
                }

                double dt = Seconds(t0, Stopwatch.GetTimestamp());
                Check(last.Length == size, "payload size");
                if (r > 0)
                {
                    times[r - 1] = dt / count;
                }
            }

            control.Put(-1);
            producer.Join();
            Check(producer.ExitCode == 0, "producer exit code");
            Report.Emit("queue_throughput", "csharp-parallelkit", $"payload_{size}B", n, times, "batch",
                ("bytes_per_op", size), ("payload_bytes", size));
        }
    }

    private static void PipeThroughput()
    {
        int reps = s_quick ? 3 : 5;
        foreach (int size in new[] { 64, 65536 })
        {
            int n = size == 64 ? (s_quick ? 20_000 : 200_000) : (s_quick ? 2_000 : 20_000);
            var (controlWrite, controlRead) = ProcessPipe.Create<int>();
            var (dataRead, dataWrite) = ProcessPipe.Create<byte[]>();
            using var producer = ParallelProcess.Start(SharedMemoryBenchJobs.Jobs.PipeProducer(controlRead, dataWrite, size));
            controlRead.Dispose();
            dataWrite.Dispose();
            var times = new double[reps];
            byte[] last = [];
            for (int r = 0; r < reps + 1; r++)
            {
                int count = r == 0 ? Math.Max(1, n / 5) : n;
                long t0 = Stopwatch.GetTimestamp();
                controlWrite.Send(count);
                for (int i = 0; i < count; i++)
                {
                    last = dataRead.Receive();
                }

                double dt = Seconds(t0, Stopwatch.GetTimestamp());
                Check(last.Length == size, "payload size");
                if (r > 0)
                {
                    times[r - 1] = dt / count;
                }
            }

            controlWrite.Send(-1);
            producer.Join();
            Check(producer.ExitCode == 0, "producer exit code");
            controlWrite.Dispose();
            dataRead.Dispose();
            Report.Emit("pipe_throughput", "csharp-parallelkit", $"payload_{size}B", n, times, "batch",
                ("bytes_per_op", size), ("payload_bytes", size));
        }
    }

    private static void ManagerDict()
    {
        int reps = s_quick ? 3 : 5;
        int n = s_quick ? 2_000 : 20_000;
        using var manager = ProcessManager.Start();
        SharedDictionary<int, int> d = manager.Dictionary<int, int>();

        // The child times its own loop (start-up excluded), as Python's does; a one-worker server returns the times.
        using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        double[] times = server.Submit(SharedMemoryBenchJobs.Jobs.ManagerSetGet(d, n, reps)).Result;
        Check(d.Count == 64, "manager_dict key count");
        Report.Emit("manager_dict", "csharp-parallelkit", "set_get_from_child", n, times, "batch", ("note", "one op = one set + one get"));
    }

    private static void JoinAll(ParallelProcess[] processes)
    {
        foreach (ParallelProcess process in processes)
        {
            process.Join();
            Check(process.ExitCode == 0, $"child exit code {process.ExitCode}");
            process.Dispose();
        }
    }
}
