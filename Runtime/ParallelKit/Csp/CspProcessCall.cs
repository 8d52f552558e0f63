using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit;

/// <summary>
/// A CSP process ready to run: a <c>[CspProcess]</c> method with its arguments, from the generated
/// <c>Type.Processes.Method(...)</c>. Run it with <see cref="Csp.Parallel(CspProcessCall[])"/>,
/// <see cref="Csp.Sequence(CspProcessCall[])"/> or <see cref="Csp.Spawn(CspProcessCall)"/>; each description
/// runs once.
/// </summary>
public abstract class CspProcessCall
{
    private int _started;

    /// <summary>For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected CspProcessCall()
    {
    }

    /// <summary>The process's name: the method's type and name, <c>Net.Succ</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether <see cref="InOsProcess"/> was called.</summary>
    public bool RunsInOsProcess { get; private protected set; }

    /// <summary>Whether the method blocks its thread (it is not async): it then gets a thread of its own.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract bool IsBlocking { get; }

    /// <summary>Whether the ends given to the process are retired (or poisoned) when it ends; <c>[CspProcess(Propagate = false)]</c> turns it off.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal virtual bool Propagates => true;

    /// <summary>The process's identity in every process (a hash of its assembly, type, name and parameter types), for <see cref="InOsProcess"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract ulong ProcessKey { get; }

    /// <summary>
    /// Runs this process in an OS process of its own: this executable relaunched (like
    /// <see cref="ParallelProcess"/>), its channel ends passed by handle, its other arguments marshaled. If that
    /// process dies, its ends are poisoned and the network reports how it died.
    /// </summary>
    /// <returns>This description.</returns>
    public CspProcessCall InOsProcess()
    {
        MarkInOsProcess();
        PromoteEnds();
        return this;
    }

    /// <summary>Runs <paramref name="count"/> copies of this process in parallel, each with fresh ends on the same channels (counted for retire).</summary>
    /// <param name="count">How many copies; at least 1.</param>
    /// <returns>A process that ends when every copy has ended; its result is the copies' results, in order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    public CspProcessCall Replicate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new Csp.ReplicatedProcess(this, count);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Adds the channel ends given to the process (its parameters, arrays and lists of ends included).</summary>
    /// <param name="ends">Where to add them.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract void CollectEnds(ICollection<ChannelEnd> ends);

    /// <summary>A copy of this process with a fresh end (on the same channel) for every end it was given.</summary>
    /// <returns>The copy.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract CspProcessCall CreateReplica();

    /// <summary>Writes the process's arguments for an OS process (ends by handle).</summary>
    /// <param name="writer">The writer.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract void WriteArguments(ref JobWriter writer);

    /// <summary>Forks a fresh end, for generated <see cref="CreateReplica"/> implementations.</summary>
    /// <typeparam name="TEnd">The end's type.</typeparam>
    /// <param name="end">The end to fork; <see langword="null"/> stays <see langword="null"/>.</param>
    /// <returns>A new end on the same channel and side.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static TEnd Fork<TEnd>(TEnd end)
        where TEnd : ChannelEnd?
        => end is null ? end : (TEnd)end.Fork();

    /// <summary>Forks every end of an array, for generated <see cref="CreateReplica"/> implementations.</summary>
    /// <typeparam name="TEnd">The ends' type.</typeparam>
    /// <param name="ends">The ends; <see langword="null"/> stays <see langword="null"/>, and so does a null element.</param>
    /// <returns>New ends on the same channels and sides.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [return: NotNullIfNotNull(nameof(ends))]
    protected static TEnd[]? Fork<TEnd>(TEnd[]? ends)
        where TEnd : ChannelEnd?
        => ends is null ? null : Array.ConvertAll(ends, static e => Fork(e));

    /// <summary>Forks every end of a list, for generated <see cref="CreateReplica"/> implementations.</summary>
    /// <typeparam name="TEnd">The ends' type.</typeparam>
    /// <param name="ends">The ends; <see langword="null"/> stays <see langword="null"/>, and so does a null element.</param>
    /// <returns>New ends on the same channels and sides.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [return: NotNullIfNotNull(nameof(ends))]
    protected static List<TEnd>? Fork<TEnd>(IEnumerable<TEnd>? ends)
        where TEnd : ChannelEnd?
        => ends is null ? null : [.. System.Linq.Enumerable.Select(ends, static e => Fork(e))];

    /// <summary>Adds ends to a collection, for generated <see cref="CollectEnds"/> implementations (null-tolerant).</summary>
    /// <param name="ends">Where to add them.</param>
    /// <param name="given">The ends given; <see langword="null"/> adds nothing.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static void Collect(ICollection<ChannelEnd> ends, IEnumerable<ChannelEnd?>? given)
    {
        ArgumentNullException.ThrowIfNull(ends);
        if (given is null)
        {
            return;
        }

        foreach (ChannelEnd? end in given)
        {
            if (end is not null)
            {
                ends.Add(end);
            }
        }
    }

    /// <summary>Marks this description as run once; a second run throws.</summary>
    internal void MarkStarted()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"The process description '{Name}' has already run: each Processes.X(...) call describes one run. Call the factory again for another.");
        }
    }

    /// <summary>
    /// Moves the channels of the ends given to this process to shared memory, where both OS processes use them
    /// directly: done when the process is marked, before any process of its network starts (a channel with
    /// operations waiting in this process cannot move).
    /// </summary>
    internal void PromoteEnds()
    {
        var ends = new List<ChannelEnd>();
        CollectEnds(ends);
        foreach (ChannelEnd end in ends)
        {
            _ = end.ChannelObject.Promote();
        }
    }

    /// <summary>Sets <see cref="RunsInOsProcess"/>; a group sets it on its members.</summary>
    internal virtual void MarkInOsProcess() => RunsInOsProcess = true;

    /// <summary>Runs the method here, its result boxed.</summary>
    internal abstract ValueTask<object?> InvokeBoxedAsync(CancellationToken cancellationToken);

    /// <summary>The result's bytes, sent back from an OS process.</summary>
    internal virtual byte[] SerializeResult(object? result) => [];

    /// <summary>The result, from the bytes an OS process sent back.</summary>
    internal virtual object? DeserializeResult(ReadOnlySpan<byte> bytes) => null;
}

/// <summary>A <see cref="CspProcessCall"/> whose method returns nothing (<c>void</c> or <see cref="Task"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class VoidCspProcessCall : CspProcessCall
{
    /// <summary>For generated code.</summary>
    protected VoidCspProcessCall()
    {
    }

    /// <summary>Calls the method.</summary>
    /// <param name="cancellationToken">The network's token, for a <see cref="CancellationToken"/> parameter.</param>
    /// <returns>Its completion.</returns>
    protected internal abstract ValueTask InvokeAsync(CancellationToken cancellationToken);

    internal sealed override async ValueTask<object?> InvokeBoxedAsync(CancellationToken cancellationToken)
    {
        await InvokeAsync(cancellationToken).ConfigureAwait(false);
        return null;
    }
}

/// <summary>A <see cref="CspProcessCall"/> whose method returns a <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The result type.</typeparam>
public abstract class CspProcessCall<TResult> : CspProcessCall
{
    /// <summary>For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected CspProcessCall()
    {
    }

    /// <summary>Runs this process in an OS process of its own; see <see cref="CspProcessCall.InOsProcess"/>.</summary>
    /// <returns>This description.</returns>
    public new CspProcessCall<TResult> InOsProcess()
    {
        MarkInOsProcess();
        PromoteEnds();
        return this;
    }

    /// <summary>Calls the method.</summary>
    /// <param name="cancellationToken">The network's token, for a <see cref="CancellationToken"/> parameter.</param>
    /// <returns>Its result.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract ValueTask<TResult> InvokeAsync(CancellationToken cancellationToken);

    internal sealed override async ValueTask<object?> InvokeBoxedAsync(CancellationToken cancellationToken)
        => await InvokeAsync(cancellationToken).ConfigureAwait(false);

    internal sealed override byte[] SerializeResult(object? result) => CspRuntime.CspValues.Serialize(result is TResult typed ? typed : default!);

    internal sealed override object? DeserializeResult(ReadOnlySpan<byte> bytes) => CspRuntime.CspValues.Deserialize<TResult>(bytes);
}
