// Python's multiprocessing Manager example, in C#: a child process fills a managed dict and reverses a
// managed list; the data lives in the manager's server process.
//
//     def f(d, l):
//         d[1] = '1'
//         d['2'] = 2
//         d[0.25] = None
//         l.reverse()
//
//     with Manager() as manager:
//         d = manager.dict()
//         l = manager.list(range(10))
//         p = Process(target=f, args=(d, l))
//         p.start()
//         p.join()
//         print(d)    # {1: '1', '2': 2, 0.25: None}
//         print(l)    # [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
using System;
using System.Linq;
using ManagerSample;
using ParallelKit;

using (var manager = ProcessManager.Start())
{
    var d = manager.Dictionary<PyObject, PyObject>();
    var l = manager.List(Enumerable.Range(0, 10));
    using (var p = ParallelProcess.Start(ManagerJobs.Jobs.F(d, l)))
    {
        p.Join();
    }

    Console.WriteLine("{" + string.Join(", ", d.Select(pair => $"{pair.Key}: {pair.Value}")) + "}");
    Console.WriteLine(l);
}
