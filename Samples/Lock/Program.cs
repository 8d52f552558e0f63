// Python's multiprocessing Lock example, in C#: ten processes print through one lock, so no line is torn.
//
//     def f(l, i):
//         l.acquire()
//         try:
//             print('hello world', i)
//         finally:
//             l.release()
//
//     lock = Lock()
//     for num in range(10):
//         Process(target=f, args=(lock, num)).start()
using System.Collections.Generic;
using LockSample;
using ParallelKit;

using var printLock = new ProcessLock();
var processes = new List<ParallelProcess>();
for (int num = 0; num < 10; num++)
{
    processes.Add(ParallelProcess.Start(LockJobs.Jobs.F(printLock, num)));
}

// Python joins its non-daemon children before exiting; so do we, then release them.
foreach (ParallelProcess process in processes)
{
    process.Join();
    process.Dispose();
}
