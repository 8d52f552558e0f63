using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;

namespace ParallelKit;

/// <summary>
/// A serializable description of one invocation of a <see cref="ParallelJobAttribute">[ParallelJob]</see>
/// method that returns no value: which job, and its arguments. Any <see cref="JobServer"/> can run it.
/// </summary>
/// <remarks>
/// Instances are created by the generated <c>Jobs</c> factories (<c>MyType.Jobs.MyJob(args)</c>);
/// user code never derives from this class.
/// </remarks>
public abstract class JobCall
{
    /// <summary>Creates a job call; only generated code derives from this class.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected JobCall()
    {
    }

    /// <summary>The job's display name: the containing type's full name and the method name.</summary>
    public abstract string JobName { get; }

    /// <summary>
    /// The job's identity across processes, fixed at compile time (a hash of the assembly, type,
    /// method and parameter types). Workers look their dispatch table up by this key.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract ulong JobKey { get; }

    /// <summary>
    /// Whether the job may run again after its worker died (<see cref="ParallelJobAttribute.Retry"/>).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal virtual bool IsRetryable => true;

    /// <summary>The node tag <see cref="ParallelJobAttribute.Requires"/> declares; generated code overrides it.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal virtual string? DeclaredRequiredTag => null;

    private string? _requiredTag;

    /// <summary>
    /// The node tag this call needs (e.g. <c>"gpu"</c>): given by <see cref="Requiring(string)"/>, else declared by
    /// <see cref="ParallelJobAttribute.Requires"/>; <see langword="null"/> when any node will do.
    /// </summary>
    public string? RequiredTag => _requiredTag ?? DeclaredRequiredTag;

    /// <summary>
    /// Asks for a node with <paramref name="tag"/> (on a cluster: <c>ClusterOptions.Tags</c>) to run this call;
    /// overrides the tag <see cref="ParallelJobAttribute.Requires"/> declares. The call fails clearly when no node
    /// in the cluster has the tag, and on a server of this machine (which has no tags).
    /// </summary>
    /// <param name="tag">The tag: letters, digits, '-', '_' and '.'.</param>
    /// <returns>This call.</returns>
    public JobCall Requiring(string tag)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        foreach (char c in tag)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"Node tag '{tag}' must be made of letters, digits, '-', '_' and '.'.", nameof(tag));
            }
        }

        _requiredTag = tag;
        return this;
    }

    /// <summary>Writes the marshaled arguments, in parameter order.</summary>
    /// <param name="writer">The writer to write the arguments to.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract void WriteArguments(ref JobWriter writer);

    [ThreadStatic]
    private static FrameBuffer? t_argumentBuffer;

    /// <summary>The job key followed by the marshaled arguments: what a worker needs to rebuild the call.</summary>
    internal byte[] MarshalKeyAndArguments()
    {
        FrameBuffer buffer = t_argumentBuffer ??= new FrameBuffer(1024);
        buffer.Clear();
        using (var state = MemoryPack.MemoryPackWriterOptionalStatePool.Rent(null))
        {
            var writer = new JobWriter(ref buffer, state);
            writer.Write(JobKey);
            WriteArguments(ref writer);
            writer.Flush();
        }

        byte[] result = buffer.WrittenSpan.ToArray();
        if (buffer.WrittenCount > 1 << 20)
        {
            // Don't keep a huge buffer alive on this thread.
            buffer.Dispose();
            t_argumentBuffer = null;
        }

        return result;
    }

    /// <summary>Creates the job that tracks one submission of this call.</summary>
    internal abstract Job CreateJob();

    /// <summary>
    /// Runs the job in this process (a worker). When it completes synchronously — the common case — its
    /// result is written with <paramref name="results"/> at once; otherwise <paramref name="pending"/> is the
    /// running job, whose result <see cref="WritePendingResult"/> writes once it has completed.
    /// </summary>
    internal abstract bool TryRun(ref JobWriter results, CancellationToken cancellationToken, out Task? pending);

    /// <summary>Writes the result of a job that <see cref="TryRun"/> left pending and that has since completed.</summary>
    internal abstract void WritePendingResult(Task completed, FrameBuffer results);

    /// <inheritdoc />
    public override string ToString() => JobName;
}

/// <summary>
/// A <see cref="JobCall"/> whose job returns no value. Generated code derives from this class.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class VoidJobCall : JobCall
{
    /// <summary>Creates a job call; only generated code derives from this class.</summary>
    protected VoidJobCall()
    {
    }

    /// <summary>Invokes the job's method in the current process.</summary>
    /// <param name="cancellationToken">The job's cancellation token, passed to a <see cref="CancellationToken"/> parameter.</param>
    /// <returns>A task that completes when the job's method has returned.</returns>
    protected internal abstract ValueTask InvokeAsync(CancellationToken cancellationToken);

    internal sealed override bool TryRun(ref JobWriter results, CancellationToken cancellationToken, out Task? pending)
    {
        ValueTask running = InvokeAsync(cancellationToken);
        if (running.IsCompletedSuccessfully)
        {
            running.GetAwaiter().GetResult();
            pending = null;
            return true;
        }

        pending = running.AsTask();
        return false;
    }

    internal sealed override void WritePendingResult(Task completed, FrameBuffer results)
    {
    }

    internal sealed override Job CreateJob() => new VoidJob(this);
}

/// <summary>
/// A serializable description of one invocation of a <see cref="ParallelJobAttribute">[ParallelJob]</see>
/// method that returns a <typeparamref name="TResult"/>: which job, and its arguments.
/// </summary>
/// <typeparam name="TResult">The job's result type (the <c>T</c> of a <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c> job).</typeparam>
public abstract class JobCall<TResult> : JobCall
{
    /// <summary>Creates a job call; only generated code derives from this class.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected JobCall()
    {
    }

    /// <summary>Asks for a node with <paramref name="tag"/> to run this call (see <see cref="JobCall.Requiring(string)"/>).</summary>
    /// <param name="tag">The tag.</param>
    /// <returns>This call, typed.</returns>
    public new JobCall<TResult> Requiring(string tag)
    {
        base.Requiring(tag);
        return this;
    }

    /// <summary>Invokes the job's method in the current process.</summary>
    /// <param name="cancellationToken">The job's cancellation token, passed to a <see cref="CancellationToken"/> parameter.</param>
    /// <returns>The job's result.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal abstract ValueTask<TResult> InvokeAsync(CancellationToken cancellationToken);

    internal sealed override bool TryRun(ref JobWriter results, CancellationToken cancellationToken, out Task? pending)
    {
        ValueTask<TResult> running = InvokeAsync(cancellationToken);
        if (running.IsCompletedSuccessfully)
        {
            results.Write(running.Result);
            pending = null;
            return true;
        }

        pending = running.AsTask();
        return false;
    }

    internal sealed override void WritePendingResult(Task completed, FrameBuffer results)
        => results.Write(((Task<TResult>)completed).Result);

    internal sealed override Job CreateJob() => new Job<TResult>(this);

    internal static TResult ReadTypedResult(ReadOnlySpan<byte> result)
    {
        var reader = new JobReader(result);
        try
        {
            return reader.Read<TResult>();
        }
        finally
        {
            reader.Dispose();
        }
    }
}
