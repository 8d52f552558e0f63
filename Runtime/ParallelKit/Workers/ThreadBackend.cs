using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Scheduling;

namespace ParallelKit.Workers;

/// <summary>Runs jobs on worker threads of this process; nothing is marshaled.</summary>
internal sealed class ThreadBackend : JobBackendCore
{
    private readonly object _gate = new();
    private readonly List<ThreadWorker> _workers = [];
    private readonly CancellationTokenSource _stopping = new();

    public ThreadBackend(JobServerOptions options)
        : base(options)
    {
        AddWorkers(options.Workers);
    }

    public override bool MarshalsCalls => false;

    public override JobBackend Kind => JobBackend.Threads;

    public override IReadOnlyList<WorkerSlot> AllWorkers => Snapshot(_gate, _workers);

    public override void Resize(int workers)
    {
        List<ThreadWorker> serving;
        lock (_gate)
        {
            serving = [.. _workers.Where(w => !w.Retiring)];
        }

        Dispatcher.WorkerCount = workers;
        if (serving.Count < workers)
        {
            AddWorkers(workers - serving.Count);
            return;
        }

        Dispatcher.Retire(serving, serving.Count - workers);
    }

    private void AddWorkers(int count)
    {
        var added = new List<ThreadWorker>(count);
        lock (_gate)
        {
            for (int i = 0; i < count; i++)
            {
                var worker = new ThreadWorker(_workers.Count, Dispatcher, Options.JobTimeout, _stopping.Token);
                _workers.Add(worker);
                added.Add(worker);
            }
        }

        foreach (ThreadWorker worker in added)
        {
            Dispatcher.WorkerReady(worker);
        }
    }


    public override long Restarts => 0;

    public override async ValueTask DisposeAsync()
    {
        Dispatcher.Close(new ObjectDisposedException(nameof(JobServer), "The job server was disposed before the job ran."));
        Diagnostics.Telemetry.ServerStopped(Dispatcher);

        // Running jobs see their cancellation token cancelled, as in worker processes.
        await _stopping.CancelAsync().ConfigureAwait(false);
        long deadline = Stopwatch.GetTimestamp() + (long)(Options.ShutdownTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Dispatcher.Running > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        var abandoned = new ObjectDisposedException(nameof(JobServer),
            "The job server was disposed while the job was running, and the job did not finish within the shutdown timeout.");
        foreach (ThreadWorker worker in AllWorkers.Cast<ThreadWorker>())
        {
            worker.Abandon(abandoned);
        }
    }

    /// <summary>One worker thread slot; batches run on the thread pool, one at a time.</summary>
    private sealed class ThreadWorker(int id, Dispatcher dispatcher, TimeSpan? timeout, CancellationToken stopping) : WorkerSlot(id, dispatcher)
    {
        private readonly object _gate = new();
        private Dispatcher.BatchLease? _current;

        public override int ProcessId => Environment.ProcessId;

        public override bool IsAlive => !Retiring;

        public override void Retire()
        {
            // Nothing runs on a thread worker between batches: not taking more is all it takes.
        }

        public override void Run(Dispatcher.BatchLease lease)
            => ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Worker.RunBatchAsync(state.Lease), (Worker: this, Lease: lease), preferLocal: false);

        public override void RequestCancel(long sequence)
        {
            // In-process jobs observe the submit token directly.
        }

        /// <summary>Fails what the running batch has not finished (its jobs ignored the shutdown); their threads are left to end.</summary>
        public void Abandon(Exception reason)
        {
            Dispatcher.BatchLease? lease;
            lock (_gate)
            {
                lease = _current;
            }

            lease?.Abandon(reason);
        }

        private async Task RunBatchAsync(Dispatcher.BatchLease lease)
        {
            lock (_gate)
            {
                _current = lease;
            }

            IReadOnlyList<WorkItem> batch = lease.Items;
            try
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    WorkItem item = batch[i];
                    if (!item.IsFinished)
                    {
                        await item.RunInProcessAsync(this, item.LimitOr(timeout), stopping).ConfigureAwait(false);
                    }

                    lease.Done(item);
                }
            }
            catch (Exception ex)
            {
                // RunInProcessAsync reports job failures itself; anything else must not lose the worker.
                lease.Abandon(ex);
            }
            finally
            {
                lock (_gate)
                {
                    _current = null;
                }

                lease.Settle();
                Dispatcher.WorkerReady(this);
            }
        }
    }
}
