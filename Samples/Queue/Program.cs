// Python's multiprocessing Queue example, in C#: a child process puts a list, the parent gets it.
//
//     def f(q):
//         q.put([42, None, 'hello'])
//
//     q = Queue()
//     p = Process(target=f, args=(q,))
//     p.start()
//     print(q.get())    # prints "[42, None, 'hello']"
//     p.join()
using System;
using ParallelKit;
using QueueSample;

using var q = new ProcessQueue<(int, string?, string)>();
using var p = ParallelProcess.Start(QueueJobs.Jobs.F(q));
Console.WriteLine(Python.Repr(q.Get()));    // prints "[42, None, 'hello']"
p.Join();
