// Python's multiprocessing Pipe example, in C#: the child sends a list through its end and closes it.
//
//     def f(conn):
//         conn.send([42, None, 'hello'])
//         conn.close()
//
//     parent_conn, child_conn = Pipe()
//     p = Process(target=f, args=(child_conn,))
//     p.start()
//     print(parent_conn.recv())   # prints "[42, None, 'hello']"
//     p.join()
using System;
using ParallelKit;
using PipeSample;

var (parentConn, childConn) = ProcessPipe.Create<(int, string?, string)>();
using var p = ParallelProcess.Start(PipeJobs.Jobs.F(childConn));
Console.WriteLine(Python.Repr(parentConn.Receive()));   // prints "[42, None, 'hello']"
p.Join();
