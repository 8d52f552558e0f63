using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.CspRuntime;

namespace ParallelKit;

public static partial class Csp
{
    /// <summary>
    /// Runs in the OS process that owns a network: starts one of its processes in an OS process of its own
    /// (this executable relaunched, as <see cref="ParallelProcess"/> does), serves its ends, and turns how it
    /// ended into what <see cref="RunOneAsync"/> expects of a process run here. A process that dies has its
    /// ends poisoned as soon as it is reaped, and is reported as a <see cref="CspProcessDiedException"/>.
    /// </summary>
    internal static class OsProcessRunner
    {
        /// <summary>How long a network that failed lets an OS-process member end by itself before it is sent SIGTERM.</summary>
        private static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(2);

        /// <summary>
        /// Runs <paramref name="process"/> in an OS process of its own and returns its result; <paramref name="started"/>
        /// completes once its method starts there (or it could not: it ended, or never started).
        /// </summary>
        public static async Task<object?> RunAsync(CspProcessCall process, List<ChannelEnd> ends, TaskCompletionSource started, CancellationToken cancellationToken)
        {
            (PipeEnd<byte[]> mine, PipeEnd<byte[]> theirs) = ProcessPipe.Create<byte[]>();
            using var server = new CspEndServer(process.Name, mine, started);
            ParallelProcess child;
            try
            {
                child = ParallelProcess.Start(new StartJob(process, theirs), process.Name);
            }
            catch
            {
                started.TrySetResult();
                throw;
            }
            finally
            {
                // The child holds its end now (it counted as held while in flight).
                theirs.Dispose();
            }

            using (child)
            {
                server.Start();
                using CancellationTokenRegistration terminate = cancellationToken.Register(static state =>
                {
                    var running = (ParallelProcess)state!;
                    _ = Task.Delay(TerminateGrace).ContinueWith(
                        _ =>
                        {
                            try
                            {
                                running.Terminate();
                            }
                            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
                            {
                                // It ended (and was disposed) during the grace period.
                            }
                        },
                        TaskScheduler.Default);
                }, child);
                await child.JoinAsync(CancellationToken.None).ConfigureAwait(false);
                await server.Ended.ConfigureAwait(false);
                if (server.Outcome is not { } outcome)
                {
                    // Reaped: what it owned in shared memory (waiting offers, claim slots, values in flight) is freed
                    // before its ends are poisoned, so that no writer hands it a value meanwhile.
                    CspArena.ReclaimDeadProcess(child.Pid);
                    foreach (ChannelEnd end in ends)
                    {
                        end.Poison();
                    }

                    throw new CspProcessDiedException(process.Name, child.Pid, child.ExitCode ?? -1);
                }

                // Ends the child retired are retired here already (one end in both processes): Parallel's own retire of
                // the process's ends must not count them again.
                foreach (int index in server.RetiredThere)
                {
                    if ((uint)index < (uint)ends.Count)
                    {
                        ends[index].MarkRetired();
                    }
                }

                return outcome.Status switch
                {
                    CspStatus.Ok => process.DeserializeResult(outcome.Payload),
                    CspStatus.Poisoned => throw new ChannelPoisonedException(System.Text.Encoding.UTF8.GetString(outcome.Payload)),
                    CspStatus.Retired => throw new ChannelRetiredException(System.Text.Encoding.UTF8.GetString(outcome.Payload)),
                    _ => throw Failed(outcome.Payload, child.Pid),
                };
            }
        }

        private static JobFailedException Failed(byte[] payload, int pid)
        {
            string[] error = CspValues.Deserialize<string[]>(payload);
            return new JobFailedException(error[0], pid, error[1], error[2], error[3]);
        }

        /// <summary>The job that starts the process in its OS process: the link's pipe end, then the process's arguments.</summary>
        private sealed class StartJob(CspProcessCall process, PipeEnd<byte[]> link) : VoidJobCall
        {
            public override string JobName => process.Name;

            protected internal override ulong JobKey => process.ProcessKey;

            protected internal override void WriteArguments(ref JobWriter writer)
            {
                writer.Write(link);
                process.WriteArguments(ref writer);
            }

            protected internal override ValueTask InvokeAsync(CancellationToken cancellationToken)
                => throw new InvalidOperationException("This job only carries a CSP process to its OS process, where CspChildJob runs it.");
        }
    }
}
