using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// One end of a <see cref="CspChannel"/>: a <see cref="ChannelIn{T}"/> or a <see cref="ChannelOut{T}"/>.
/// Each end is counted by its channel; <see cref="Retire"/> ends this one, and when every end of one side
/// has retired the other side gets <see cref="ChannelRetiredException"/>.
/// </summary>
public abstract class ChannelEnd
{
    private int _retired;
    private int _use; // 0: no operation yet; 1: used (counted by the channel); 2: retired
    private int _starting; // 0: not given to a process; 1: given to one of a Parallel that has not used any end yet (counted by the channel); 2: no longer
    private StartingProcess? _startingProcess;
    private int _looping; // 1 while counted by its channel as a looping end (see NoteBlockingOperation)
    private int _streak;  // blocking operations in a row on this end by the thread that used it last

    /// <summary>The end of this thread's last blocking read or write, unless a blocking selection came after it (see <see cref="NoteBlockingOperation"/>).</summary>
    [ThreadStatic]
    private static ChannelEnd? t_lastBlocking;

    /// <summary>Blocking operations in a row on one end after which it counts as looping (<see cref="CspChannel.HasLoopingEnd"/>).</summary>
    private const int LoopAfter = 2;

    /// <param name="retired">Whether the end had already retired (an end coming back from the OS process that retired it).</param>
    private protected ChannelEnd(bool retired)
    {
        _retired = retired ? 1 : 0;
    }

    /// <summary>The name of the channel this end belongs to.</summary>
    public abstract string ChannelName { get; }

    /// <summary>Whether <see cref="Retire"/> was called on this end.</summary>
    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Whether this is a writing end.</summary>
    internal abstract bool IsWriter { get; }

    /// <summary>The channel this end belongs to.</summary>
    internal abstract CspChannel ChannelObject { get; }

    /// <summary>
    /// Poisons the channel: every pending and later operation on it, at either end, throws
    /// <see cref="ChannelPoisonedException"/>. From a writer on a buffered channel, readers first drain what
    /// is buffered. Poisoning twice does nothing more.
    /// </summary>
    public abstract void Poison();

    /// <summary>
    /// Retires this end: its own later operations throw <see cref="ChannelRetiredException"/>, and when it is the
    /// last live end of its side, the other side's operations do too (readers once the buffer is drained, so
    /// every value written before the retire is delivered). Retiring twice does nothing more.
    /// </summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            ForgetUse();
            RetireCore();
        }
    }

    /// <summary>A new end on the same channel and side, counted for retire (a replica's own end).</summary>
    internal abstract ChannelEnd Fork();

    /// <summary>Tells the channel that this end retired.</summary>
    private protected abstract void RetireCore();

    /// <summary>
    /// Marks this end retired without telling its channel: its copy in the OS process it was passed to retired it
    /// there already (an end passed to another process is one end in both, counted once).
    /// </summary>
    internal void MarkRetired()
    {
        Volatile.Write(ref _retired, 1);
        ForgetUse();
    }

    /// <summary>
    /// Before each read, write or selection with this end: throws when it has retired; counts it, at its first
    /// operation, among its side's ends in use (<see cref="CspChannel.HasOneEnd"/>: an end made but never used does not
    /// make the other side's fair selections treat its peers as shared).
    /// </summary>
    internal void BeginOperation()
    {
        if (Volatile.Read(ref _retired) != 0)
        {
            throw new ChannelRetiredException($"This end of the channel '{ChannelName}' has retired.");
        }

        if (Volatile.Read(ref _use) == 0 && Interlocked.CompareExchange(ref _use, 1, 0) == 0)
        {
            ChannelObject.CountEndInUse(IsWriter, 1);
            if (Volatile.Read(ref _startingProcess) is { } process)
            {
                process.Started();
            }
        }
    }

    /// <summary>
    /// Before a blocking read or write with this end (after <see cref="BeginOperation"/>): notes whether the thread's
    /// blocking operations are all on this end lately, so that it counts as looping on this channel
    /// (<see cref="CspChannel.HasLoopingEnd"/>: a process that writes one channel in a loop, say, not one that goes on to
    /// other channels in between, like a philosopher who sits, takes forks and stands). The end it used before stops
    /// looping. Cheap: a thread-static compare on the fast path.
    /// </summary>
    internal void NoteBlockingOperation()
    {
        ChannelEnd? last = t_lastBlocking;
        if (last == this)
        {
            if (_streak < LoopAfter && ++_streak == LoopAfter && Interlocked.Exchange(ref _looping, 1) == 0)
            {
                ChannelObject.CountLoopingEnd(IsWriter, 1);
            }

            return;
        }

        last?.StopLooping();
        t_lastBlocking = this;
        _streak = 1;
    }

    /// <summary>Before a blocking operation that is not on one end (a selection between several guards): the end this thread used last stops looping.</summary>
    internal static void NoteOtherBlockingOperation()
    {
        if (t_lastBlocking is { } last)
        {
            last.StopLooping();
            t_lastBlocking = null;
        }
    }

    /// <summary>The process this end was given to ended: the end no longer counts as starting or looping (it may stay unretired).</summary>
    internal void ProcessEnded()
    {
        StartingDone();
        StopLooping();
    }

    /// <summary>Takes this end out of its side's looping ends (its thread went on to another end, its process ended, or it retired).</summary>
    private void StopLooping()
    {
        _streak = 0;
        if (Volatile.Read(ref _looping) != 0 && Interlocked.Exchange(ref _looping, 0) == 1)
        {
            ChannelObject.CountLoopingEnd(IsWriter, -1);
        }
    }

    /// <summary>
    /// Counts this end, given to a process of a <c>Parallel</c> that is starting, among its side's ends whose process
    /// has not used any of its ends yet (<see cref="CspChannel.HasEndStarting"/>), until that process's first channel
    /// operation, this end's retire, or the end of the process (<see cref="StartingDone"/>). Not an end that was used
    /// already.
    /// </summary>
    internal void MarkStarting(StartingProcess process)
    {
        if (Volatile.Read(ref _use) == 0 && Interlocked.CompareExchange(ref _starting, 1, 0) == 0)
        {
            Volatile.Write(ref _startingProcess, process);
            ChannelObject.CountEndStarting(IsWriter, 1);
        }
    }

    /// <summary>Takes this end out of its side's ends starting (see <see cref="MarkStarting"/>); once.</summary>
    internal void StartingDone()
    {
        if (Volatile.Read(ref _starting) != 2 && Interlocked.Exchange(ref _starting, 2) == 1)
        {
            ChannelObject.CountEndStarting(IsWriter, -1);
        }
    }

    /// <summary>Takes a retired end out of its side's ends in use.</summary>
    private void ForgetUse()
    {
        StartingDone();
        StopLooping();
        if (Interlocked.Exchange(ref _use, 2) == 1)
        {
            ChannelObject.CountEndInUse(IsWriter, -1);
        }
    }
}

/// <summary>The ends given to one process of a <c>Parallel</c>, counted as starting until the process first uses one of them (<see cref="ChannelEnd.MarkStarting"/>).</summary>
internal sealed class StartingProcess(List<ChannelEnd> ends)
{
    private int _started;

    /// <summary>Takes every end of the process out of the ends starting; once.</summary>
    public void Started()
    {
        if (Volatile.Read(ref _started) == 0 && Interlocked.Exchange(ref _started, 1) == 0)
        {
            foreach (ChannelEnd end in ends)
            {
                end.StartingDone();
            }
        }
    }
}
