using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Scheduling;

namespace ParallelKit.Workers;

/// <summary>Runs jobs on worker threads of this process; nothing is marshaled.</summary>
internal sealed class ThreadBackend : JobBackendCore
{
    private readonly ThreadWorker[] _workers;

    public ThreadBackend(JobServerOptions options)
        : base(options)
    {
        _workers = new ThreadWorker[options.Workers];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new ThreadWorker(i, Dispatcher, options.JobTimeout);
        }

        foreach (ThreadWorker worker in _workers)
        {
            Dispatcher.WorkerReady(worker);
        }
    }

    public override bool MarshalsCalls => false;

    public override JobBackend Kind => JobBackend.Threads;

    public override IReadOnlyList<WorkerSlot> AllWorkers => _workers;

    public override long Retries => 0;

    public override long Restarts => 0;

    public override async ValueTask DisposeAsync()
    {
        Dispatcher.Close(new ObjectDisposedException(nameof(JobServer), "The job server was disposed before the job ran."));
        long deadline = Stopwatch.GetTimestamp() + (long)(Options.ShutdownTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Dispatcher.Running > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        var abandoned = new ObjectDisposedException(nameof(JobServer),
            "The job server was disposed while the job was running, and the job did not finish within the shutdown timeout.");
        foreach (ThreadWorker worker in _workers)
        {
            worker.Abandon(abandoned);
        }
    }

    /// <summary>One worker thread slot; batches run on the thread pool, one at a time.</summary>
    private sealed class ThreadWorker(int id, Dispatcher dispatcher, TimeSpan? timeout) : WorkerSlot(id, dispatcher)
    {
        private readonly object _gate = new();
        private List<WorkItem>? _current;

        public override int ProcessId => Environment.ProcessId;

        public override bool IsAlive => true;

        public override void Run() => ThreadPool.UnsafeQueueUserWorkItem(static worker => _ = worker.RunBatchAsync(), this, preferLocal: false);

        public override void RequestCancel(long sequence)
        {
            // In-process jobs observe the submit token directly.
        }

        public void Abandon(Exception reason)
        {
            lock (_gate)
            {
                if (_current is null)
                {
                    return;
                }

                foreach (WorkItem item in _current)
                {
                    if (!item.IsFinished)
                    {
                        item.Fail(reason);
                    }
                }
            }
        }

        private async Task RunBatchAsync()
        {
            List<WorkItem> batch = Batch;
            lock (_gate)
            {
                _current = batch;
            }

            int count = batch.Count;
            for (int i = 0; i < count; i++)
            {
                WorkItem item = batch[i];
                if (!item.IsFinished)
                {
                    await item.RunInProcessAsync(this, item.Timeout ?? timeout).ConfigureAwait(false);
                }
            }

            lock (_gate)
            {
                _current = null;
            }

            Dispatcher.BatchFinished(count);
            Dispatcher.WorkerReady(this);
        }
    }
}
