using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ParallelKit.Scheduling;

/// <summary>
/// A map that reads its input as it goes and hands each result to its consumer as it arrives (Python's
/// <c>imap</c>/<c>imap_unordered</c>). A feeder task pulls items from the input while fewer than the read-ahead
/// limit are pulled and not yet taken by the consumer; the map sits in the dispatcher's queue while it has pulled
/// items no chunk holds yet, and puts itself back when the feeder pulls more.
/// </summary>
/// <remarks>
/// Lock order: the dispatcher's gate, then <see cref="_gate"/> (<see cref="TakeNext"/> runs under the former);
/// the feeder calls <see cref="Dispatcher.Enqueue"/> holding neither.
/// </remarks>
internal sealed class StreamingMap<TItem, TResult> : ChunkedMap<TItem, TResult>, IWorkSource
{
    private readonly Dispatcher _dispatcher;
    private readonly Func<string, string?> _cannotRun;
    private readonly int _readAhead;
    private readonly int _maxChunk;
    private readonly CancellationTokenSource _stop;
    private readonly Channel<MapResult<TResult>> _results = Channel.CreateUnbounded<MapResult<TResult>>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    // Guarded by _gate.
    private readonly Lock _gate = new();
    private readonly Queue<TItem> _buffer = new();
    private long _bufferIndex;  // the map index of _buffer's head
    private long _pulled;       // items taken from the input so far
    private long _stored;       // results stored so far
    private int _outstanding;   // items pulled and not yet released by the consumer
    private bool _queued;       // in the dispatcher's queue
    private bool _inputDone;    // the input was read to its end
    private int _ramp = 1;
    private TaskCompletionSource? _roomWaiter;

    private int _holders = 2;   // the feeder and the consumer; the last to leave disposes _stop

    private StreamingMap(Dispatcher dispatcher, Func<string, string?> cannotRun, Func<TItem, JobCall<TResult>> selector, int readAhead, int maxChunk, Activity? activity, CancellationTokenSource stop)
        : base(selector, activity, stop.Token)
    {
        _dispatcher = dispatcher;
        _cannotRun = cannotRun;
        _readAhead = readAhead;
        _maxChunk = maxChunk;
        _stop = stop;
    }

    /// <summary>Starts reading <paramref name="items"/> on the thread pool and feeding the dispatcher.</summary>
    /// <param name="dispatcher">The server's queue.</param>
    /// <param name="cannotRun">Why no worker can run a job needing a node tag, or <see langword="null"/> when one can.</param>
    /// <param name="items">The input, enumerated once, lazily.</param>
    /// <param name="selector">Makes an item's job call.</param>
    /// <param name="readAhead">The most items pulled from the input and not yet taken by the consumer.</param>
    /// <param name="maxChunk">The most items in one chunk.</param>
    /// <param name="cancellationToken">The consumer's token.</param>
    public static StreamingMap<TItem, TResult> Start(Dispatcher dispatcher, Func<string, string?> cannotRun, IEnumerable<TItem> items, Func<TItem, JobCall<TResult>> selector, int readAhead, int maxChunk, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var map = new StreamingMap<TItem, TResult>(dispatcher, cannotRun, selector, readAhead, maxChunk,
            Diagnostics.Telemetry.StartSubmitted("parallelkit.map", "map stream"), stop);
        stop.Token.UnsafeRegister(static state => ((StreamingMap<TItem, TResult>)state!).Cancel(), map);
        _ = Task.Run(() => map.FeedAsync(items), CancellationToken.None);
        return map;
    }

    /// <summary>The results as they are stored; ends when every item's result is in, or with the map's failure.</summary>
    public ChannelReader<MapResult<TResult>> Results => _results.Reader;

    public bool IsSingleJob => false;

    /// <summary>
    /// The consumer took <paramref name="count"/> results: that much room for the feeder. It is woken once a quarter
    /// of the read-ahead is free, not per item.
    /// </summary>
    public void Release(int count)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            _outstanding -= count;
            if (_roomWaiter is not null && _outstanding <= _readAhead - Math.Max(1, _readAhead / 4))
            {
                wake = _roomWaiter;
                _roomWaiter = null;
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>The consumer left (finished, broke out of its loop, or failed): whatever still runs is cancelled.</summary>
    public void Leave()
    {
        if (!IsFinished)
        {
            _stop.Cancel();
        }

        LetGo();
    }

    private void LetGo()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            _stop.Dispose();
        }
    }

    private async Task FeedAsync(IEnumerable<TItem> items)
    {
        CancellationToken token = _stop.Token;
        IEnumerator<TItem>? input = null;
        bool inputEnded = false;
        try
        {
            input = items.GetEnumerator();
            while (!IsFinished)
            {
                Task? room = null;
                lock (_gate)
                {
                    if (_outstanding >= _readAhead)
                    {
                        _roomWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        room = _roomWaiter.Task;
                    }
                }

                if (room is not null)
                {
                    await room.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                if (!input.MoveNext())
                {
                    inputEnded = true;
                    break;
                }

                TItem item = input.Current;
                if (_pulled == 0 && Selector(item)?.RequiredTag is { } tag)
                {
                    RequiredTag = tag;
                    if (_cannotRun(tag) is { } why)
                    {
                        Fail(JobServer.NoMatchingWorker("map", why));
                        break;
                    }
                }

                bool enqueue;
                lock (_gate)
                {
                    _buffer.Enqueue(item);
                    _pulled++;
                    _outstanding++;
                    enqueue = !_queued;
                    _queued = true;
                }

                if (enqueue)
                {
                    _dispatcher.Enqueue(this);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Cancelled: Cancel has ended the map already.
        }
        catch (Exception ex)
        {
            // The input threw (or the server refused work): the stream ends with it.
            Fail(ex);
        }
        finally
        {
            try
            {
                input?.Dispose();
            }
            catch (Exception ex)
            {
                Fail(ex);
            }

            // Only an input read to its end completes the map (with the last result); one left early because the map
            // was cancelled ends it cancelled, even when this runs before the token's own callback does.
            bool done = false;
            if (inputEnded)
            {
                lock (_gate)
                {
                    _inputDone = true;
                    done = _stored == _pulled;
                }
            }
            else if (token.IsCancellationRequested)
            {
                Cancel();
            }

            if (done)
            {
                Complete();
            }

            LetGo();
        }
    }

    /// <remarks>
    /// Guided over what is buffered (a share per worker, so every worker gets some), never more than twice the previous
    /// chunk (from 1, so results flow at once), nor <c>maxChunk</c>.
    /// </remarks>
    public WorkItem? TakeNext(int workers, out bool exhausted)
    {
        lock (_gate)
        {
            if (IsFinished || _buffer.Count == 0)
            {
                _queued = false;
                exhausted = true;
                return null;
            }

            int size = Math.Clamp((_buffer.Count + (2 * workers) - 1) / (2 * workers), 1, Math.Min(_maxChunk, _ramp));
            _ramp = (int)Math.Min((long)_ramp * 2, int.MaxValue);
            var items = new TItem[size];
            for (int i = 0; i < size; i++)
            {
                items[i] = _buffer.Dequeue();
            }

            var chunk = new MapChunk<TItem, TResult>(this, items, _bufferIndex, 0, size);
            _bufferIndex += size;
            exhausted = _buffer.Count == 0;
            if (exhausted)
            {
                _queued = false;
            }

            Diagnostics.Telemetry.Submitted.Add(size);
            return chunk;
        }
    }

    public void Abandon(Exception reason) => Fail(reason);

    public override void Store(long index, TResult result) => _results.Writer.TryWrite(new MapResult<TResult>(index, result));

    public override void ItemsDone(long first, int count)
    {
        bool done;
        lock (_gate)
        {
            _stored += count;
            done = _inputDone && _stored == _pulled;
        }

        if (done)
        {
            Complete();
        }
    }

    private void Complete()
    {
        if (TryFinish())
        {
            Diagnostics.Telemetry.Finish(Activity, JobStatus.Completed);
            _results.Writer.TryComplete();
        }
    }

    public override void Fail(Exception reason)
    {
        if (TryFinish())
        {
            Diagnostics.Telemetry.Finish(Activity, JobStatus.Failed);
            _results.Writer.TryComplete(reason);
            Stopped();
            try
            {
                // Jobs running on threads observe the map's token (worker processes were told by Stopped).
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Feeder and consumer have both left: nothing runs that could see it.
            }
        }
    }

    public override void Cancel()
    {
        if (TryFinish())
        {
            Diagnostics.Telemetry.Finish(Activity, JobStatus.Canceled);
            _results.Writer.TryComplete(new OperationCanceledException("The map was cancelled.", CancellationToken));
        }

        Stopped();
    }

    /// <summary>The map is over before its end: the feeder stops pulling, and chunks in workers are cancelled.</summary>
    private void Stopped()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            wake = _roomWaiter;
            _roomWaiter = null;
        }

        wake?.TrySetResult();
        CancelRunningChunks();
    }
}
