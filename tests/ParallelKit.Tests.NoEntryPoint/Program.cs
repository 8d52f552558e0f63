using System;
using ParallelKit;

try
{
    await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
    Console.WriteLine("unexpected: the server started");
    return 1;
}
catch (InvalidOperationException ex)
{
    Console.WriteLine(ex.Message);
    return 0;
}
