// Python's threads sharing memory: four threads add to one counter, each increment under the lock.
//
//   counter = 0
//   lock = threading.Lock()
//   def worker(n):
//       global counter
//       for _ in range(n):
//           with lock:
//               counter += 1
//   threads = [threading.Thread(target=worker, args=(100_000,)) for _ in range(4)]
//   for t in threads: t.start()
//   for t in threads: t.join()
//   print(counter)
//
// In ParallelKit the counter is a [SharedValue] property and the threads are a job server's threads backend.
// The same jobs then run on worker processes: the counter lives in shared memory, so they share it too.
using System;
using System.Linq;
using System.Threading.Tasks;
using ParallelKit;
using ThreadsSample;

const int PerWorker = 100_000;
using var counter = new Counter();

await using (var threads = JobServer.Start(new JobServerOptions { Backend = JobBackend.Threads, Workers = 4 }))
{
    await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => threads.Submit(Work.Jobs.Count(counter, PerWorker)).Completion));
}

Console.WriteLine($"threads: {counter.Value}");

await using (var processes = JobServer.Start(new JobServerOptions { Workers = 2 }))
{
    await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => processes.Submit(Work.Jobs.Count(counter, PerWorker)).Completion));
}

Console.WriteLine($"threads, then processes: {counter.Value}");
