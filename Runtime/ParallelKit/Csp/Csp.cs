using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit;

/// <summary>
/// Runs CSP processes (PyCSP's <c>Parallel</c>, <c>Sequence</c> and <c>Spawn</c>). A process that ends with
/// an exception other than poison or retire ends the network: the channels of every process in the same
/// <see cref="Parallel(CspProcessCall[])"/> are poisoned and its token cancelled, so the others end too, and the
/// exception surfaces, aggregated, when all have ended. Nothing is left hanging.
/// </summary>
/// <example>
/// <code>
/// var a = CspChannel.Create&lt;long&gt;();
/// var b = CspChannel.Create&lt;long&gt;();
/// await Csp.Parallel(
///     Net.Processes.Producer(a.Writer(), 10),
///     Net.Processes.Succ(a.Reader(), b.Writer()).InOsProcess(),
///     Net.Processes.Consumer(b.Reader()));
/// </code>
/// </example>
public static partial class Csp
{
    // The spawned processes of the process running on this flow: awaited when it ends.
    private static readonly AsyncLocal<List<Task>?> s_spawned = new();

    /// <summary>How long a network's in-process members wait at most for its OS-process members' methods to start.</summary>
    private static readonly TimeSpan OsStartWait = TimeSpan.FromSeconds(10);

    /// <summary>Runs processes concurrently and returns when all have ended (PyCSP's <c>Parallel</c>).</summary>
    /// <param name="processes">The processes.</param>
    /// <returns>Their results, in the order given (<see langword="null"/> for processes that return nothing or ended by poison or retire).</returns>
    /// <exception cref="AggregateException">One or more processes failed (or died, as <see cref="CspProcessDiedException"/>).</exception>
    /// <exception cref="ArgumentException">The same channel end was given to two of the processes (retire would count it once).</exception>
    public static Task<object?[]> Parallel(params CspProcessCall[] processes) => Parallel(processes, CancellationToken.None);

    /// <summary>Runs processes concurrently and returns when all have ended; cancelling <paramref name="cancellationToken"/> poisons their channels.</summary>
    /// <param name="processes">The processes.</param>
    /// <param name="cancellationToken">Ends the network: its channels are poisoned and the processes' tokens cancelled.</param>
    /// <returns>Their results, in the order given.</returns>
    /// <exception cref="AggregateException">One or more processes failed (or died, as <see cref="CspProcessDiedException"/>).</exception>
    /// <exception cref="ArgumentException">The same channel end was given to two of the processes.</exception>
    public static Task<object?[]> Parallel(IReadOnlyList<CspProcessCall> processes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(processes);
        return RunParallelAsync([.. processes], cancellationToken);
    }

    /// <summary>Runs processes of one result type concurrently and returns their results when all have ended.</summary>
    /// <typeparam name="TResult">The processes' result type.</typeparam>
    /// <param name="processes">The processes.</param>
    /// <returns>Their results, in the order given (<c>default</c> for one that ended by poison or retire).</returns>
    /// <exception cref="AggregateException">One or more processes failed (or died).</exception>
    public static async Task<TResult[]> Parallel<TResult>(params CspProcessCall<TResult>[] processes)
    {
        ArgumentNullException.ThrowIfNull(processes);
        object?[] results = await RunParallelAsync([.. processes], CancellationToken.None).ConfigureAwait(false);
        return [.. results.Select(static r => r is TResult t ? t : default!)];
    }

    /// <summary>Runs processes one after another (PyCSP's <c>Sequence</c>); a failure stops the sequence.</summary>
    /// <param name="processes">The processes.</param>
    /// <returns>Their results, in order.</returns>
    /// <exception cref="AggregateException">A process failed (or died); the rest did not run.</exception>
    public static async Task<object?[]> Sequence(params CspProcessCall[] processes)
    {
        ArgumentNullException.ThrowIfNull(processes);
        var results = new object?[processes.Length];
        for (int i = 0; i < processes.Length; i++)
        {
            object?[] one = await RunParallelAsync([processes[i]], CancellationToken.None).ConfigureAwait(false);
            results[i] = one[0];
        }

        return results;
    }

    /// <summary>
    /// Starts a process and returns at once (PyCSP's <c>Spawn</c>). Spawned from inside a process, it is awaited
    /// when that process ends (and its failure fails that process).
    /// </summary>
    /// <param name="process">The process.</param>
    /// <returns>A task that completes when the process has ended, with its result.</returns>
    public static Task<object?> Spawn(CspProcessCall process)
    {
        ArgumentNullException.ThrowIfNull(process);
        Task<object?> running = SpawnCore(process);
        if (s_spawned.Value is { } spawned)
        {
            lock (spawned)
            {
                spawned.Add(running);
            }
        }

        return running;
    }

    /// <summary>Starts a process of a known result type and returns at once; see <see cref="Spawn(CspProcessCall)"/>.</summary>
    /// <typeparam name="TResult">The process's result type.</typeparam>
    /// <param name="process">The process.</param>
    /// <returns>A task that completes when the process has ended, with its result.</returns>
    public static async Task<TResult> Spawn<TResult>(CspProcessCall<TResult> process)
        => await Spawn((CspProcessCall)process).ConfigureAwait(false) is TResult result ? result : default!;

    private static async Task<object?> SpawnCore(CspProcessCall process)
    {
        await Task.Yield();
        object?[] results = await RunParallelAsync([process], CancellationToken.None).ConfigureAwait(false);
        return results[0];
    }

    private static async Task<object?[]> RunParallelAsync(CspProcessCall[] processes, CancellationToken cancellationToken)
    {
        var ends = new List<ChannelEnd>[processes.Length];
        var seen = new HashSet<ChannelEnd>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < processes.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(processes[i], nameof(processes));
            ends[i] = [];
            processes[i].CollectEnds(ends[i]);
            foreach (ChannelEnd end in ends[i])
            {
                if (!seen.Add(end))
                {
                    throw new ArgumentException(
                        $"The same {end} was given to two processes of one Parallel (the second is '{processes[i].Name}'): retire would count it once. Give each process its own end (channel.Reader()/Writer()).",
                        nameof(processes));
                }
            }
        }

        foreach (CspProcessCall process in processes)
        {
            process.MarkStarted();
        }

        // Until a member in this process first uses one of its ends (its thread may wait for a core, its first call
        // compile), a fair selection on the other side of them waits for it rather than take another guard's values.
        for (int i = 0; i < processes.Length; i++)
        {
            if (!processes[i].RunsInOsProcess)
            {
                var starting = new StartingProcess(ends[i]);
                foreach (ChannelEnd end in ends[i])
                {
                    end.MarkStarting(starting);
                }
            }
        }

        for (int i = 0; i < processes.Length; i++)
        {
            if (processes[i].RunsInOsProcess)
            {
                processes[i].PromoteEnds();
            }
        }

        using var network = new Network(seen, cancellationToken);
        var running = new Task<object?>[processes.Length];

        // Members in OS processes of their own first: the rest start once their methods run (or they could not, or
        // after OsStartWait), so that the network starts together rather than its in-process members running for
        // the tens of milliseconds a process takes to start (a reader would find only their writers ready).
        var starts = new List<Task>();
        for (int i = 0; i < processes.Length; i++)
        {
            if (processes[i].RunsInOsProcess)
            {
                var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                running[i] = RunOneAsync(processes[i], ends[i], network, started, group: null);
                starts.Add(started.Task);
            }
        }

        if (starts.Count > 0 && starts.Count < processes.Length)
        {
            try
            {
                await Task.WhenAll(starts).WaitAsync(OsStartWait, network.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // Slow to start, or the network ended meanwhile: the rest start now (and see its poison).
            }
        }

        // The async members here start in order from one thread, each up to its first wait, so that none misses the
        // network's first turns (a reader that selects from its first moment would find only the others ready).
        var group = new StartGroup();
        for (int i = 0; i < processes.Length; i++)
        {
            running[i] ??= RunOneAsync(processes[i], ends[i], network, started: null, group);
        }

        group.Launch();

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Collected below, from every task.
        }

        List<Exception> failures = [];
        foreach (Task<object?> task in running)
        {
            if (task.Exception is { } error)
            {
                failures.AddRange(error.InnerExceptions.SelectMany(static e => e is AggregateException a ? a.InnerExceptions : [e]));
            }
        }

        if (failures.Count > 0)
        {
            throw new AggregateException($"{failures.Count} CSP process(es) failed: {string.Join("; ", failures.Select(static f => f.Message))}", failures);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return [.. running.Select(static t => t.Result)];
    }

    private static async Task<object?> RunOneAsync(CspProcessCall process, List<ChannelEnd> ends, Network network, TaskCompletionSource? started, StartGroup? group)
    {
        try
        {
            object? result = process.RunsInOsProcess
                ? await Csp.OsProcessRunner.RunAsync(process, ends, started!, network.Token).ConfigureAwait(false)
                : await RunHereAsync(process, network.Token, group).ConfigureAwait(false);
            if (process.Propagates)
            {
                RetireAll(ends);
            }

            return result;
        }
        catch (ChannelPoisonedException) when (process.Propagates)
        {
            PoisonAll(ends);
            return null;
        }
        catch (ChannelPoisonedException)
        {
            return null;
        }
        catch (ChannelRetiredException)
        {
            if (process.Propagates)
            {
                RetireAll(ends);
            }

            return null;
        }
        catch (OperationCanceledException) when (network.Token.IsCancellationRequested)
        {
            // The network was ended (another process failed, or its caller cancelled it): not a failure of its own.
            PoisonAll(ends);
            return null;
        }
        catch (Exception)
        {
            network.Fail();
            throw;
        }
        finally
        {
            foreach (ChannelEnd end in ends)
            {
                end.ProcessEnded();
            }
        }
    }

    /// <summary>Runs a process in this OS process: a blocking one on a thread of its own, then waits for what it spawned.</summary>
    internal static async Task<object?> RunHereAsync(CspProcessCall process, CancellationToken cancellationToken, StartGroup? group = null)
    {
        var spawned = new List<Task>();
        object? result;
        if (process.IsBlocking)
        {
            result = await Task.Factory.StartNew(
                () =>
                {
                    s_spawned.Value = spawned;
                    return process.InvokeBoxedAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
                },
                cancellationToken: CancellationToken.None,
                TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach,
                TaskScheduler.Default).ConfigureAwait(false);
        }
        else
        {
            // Started inside a CSP runner: the processes the start wakes are held and then run in turn by one runner,
            // not queued one by one to the thread pool; the start returns at once. The async lambda's change to
            // s_spawned ends with its start.
            var start = new MemberStart(() => ParallelKit.CspRuntime.CspRunner.Start(async () =>
            {
                s_spawned.Value = spawned;
                return await process.InvokeBoxedAsync(cancellationToken).ConfigureAwait(false);
            }));
            if (group is null)
            {
                start.Queue();
            }
            else
            {
                group.Add(start);
            }

            result = await (await start.Started.ConfigureAwait(false)).ConfigureAwait(false);
        }

        Task[] children;
        lock (spawned)
        {
            children = [.. spawned];
        }

        await Task.WhenAll(children).ConfigureAwait(false);
        return result;
    }

    private static void PoisonAll(List<ChannelEnd> ends)
    {
        foreach (ChannelEnd end in ends)
        {
            end.Poison();
        }
    }

    private static void RetireAll(List<ChannelEnd> ends)
    {
        foreach (ChannelEnd end in ends)
        {
            end.Retire();
        }
    }

    /// <summary>One Parallel's shared fate: its ends are poisoned and its token cancelled when one process fails.</summary>
    /// <summary>The start of one async process run in this OS process: whichever thread claims it first runs it, once.</summary>
    internal sealed class MemberStart(Func<Task<object?>> start)
    {
        private readonly TaskCompletionSource<Task<object?>> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _claimed;

        /// <summary>Completes with the process's task once it has run up to its first wait.</summary>
        public Task<Task<object?>> Started => _started.Task;

        /// <summary>Runs the start here unless another thread claimed it.</summary>
        public void TryRun()
        {
            if (Interlocked.Exchange(ref _claimed, 1) == 0)
            {
                try
                {
                    _started.SetResult(start());
                }
                catch (Exception e)
                {
                    _started.SetResult(Task.FromException<object?>(e));
                }
            }
        }

        /// <summary>Queues the start to the thread pool's global queue (first in, first out), with the caller's execution context.</summary>
        public void Queue() => ThreadPool.QueueUserWorkItem(static s => s.TryRun(), this, preferLocal: false);
    }

    /// <summary>
    /// The async members of one <c>Parallel</c> that run in this OS process: one thread-pool item starts them in order,
    /// each up to its first wait, so they all start within microseconds of one another (queued one by one, the pool
    /// could start the first a millisecond after the others, which meanwhile made a thousand communications). Each is
    /// also queued on its own, so a member that computes before its first wait delays the others' start only until a
    /// free thread takes them.
    /// </summary>
    internal sealed class StartGroup
    {
        private readonly List<MemberStart> _members = [];

        /// <summary>Adds a member to start.</summary>
        public void Add(MemberStart member) => _members.Add(member);

        /// <summary>Queues the starts.</summary>
        public void Launch()
        {
            if (_members.Count == 0)
            {
                return;
            }

            if (_members.Count > 1)
            {
                ThreadPool.QueueUserWorkItem(
                    static members =>
                    {
                        foreach (MemberStart member in members)
                        {
                            member.TryRun();
                        }
                    },
                    _members,
                    preferLocal: false);
            }

            foreach (MemberStart member in _members)
            {
                member.Queue();
            }
        }
    }

    private sealed class Network : IDisposable
    {
        private readonly HashSet<ChannelEnd> _ends;
        private readonly CancellationTokenSource _cancel;
        private readonly CancellationTokenRegistration _outer;

        public Network(HashSet<ChannelEnd> ends, CancellationToken outer)
        {
            _ends = ends;
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
            _outer = outer.Register(static state => ((Network)state!).Fail(), this);
        }

        public CancellationToken Token => _cancel.Token;

        public void Fail()
        {
            foreach (ChannelEnd end in _ends)
            {
                end.Poison();
            }

            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The network has ended.
            }
        }

        public void Dispose()
        {
            _outer.Dispose();
            _cancel.Dispose();
        }
    }

    /// <summary>The process <see cref="CspProcessCall.Replicate"/> returns: n copies in parallel, each with fresh ends.</summary>
    internal sealed class ReplicatedProcess : CspProcessCall
    {
        private readonly CspProcessCall[] _copies;

        public ReplicatedProcess(CspProcessCall original, int count)
        {
            // The copies' ends are made now, so that the channels count them before any copy can retire.
            _copies = new CspProcessCall[count];
            _copies[0] = original;
            for (int i = 1; i < count; i++)
            {
                _copies[i] = original.CreateReplica();
                if (original.RunsInOsProcess)
                {
                    _copies[i].MarkInOsProcess();
                }
            }
        }

        public override string Name => $"{_copies[0].Name} x{_copies.Length}";

        protected internal override bool IsBlocking => false;

        // Each copy propagates for itself.
        protected internal override bool Propagates => false;

        protected internal override ulong ProcessKey => 0;

        protected internal override void CollectEnds(ICollection<ChannelEnd> ends)
        {
            foreach (CspProcessCall copy in _copies)
            {
                copy.CollectEnds(ends);
            }
        }

        protected internal override CspProcessCall CreateReplica() => new ReplicatedProcess(_copies[0].CreateReplica(), _copies.Length);

        protected internal override void WriteArguments(ref JobWriter writer)
            => throw new InvalidOperationException("A replicated process is never marshaled: each copy runs in its own OS process.");

        internal override void MarkInOsProcess()
        {
            // The copies run in OS processes; the group itself runs here.
            foreach (CspProcessCall copy in _copies)
            {
                copy.MarkInOsProcess();
            }
        }

        internal override async ValueTask<object?> InvokeBoxedAsync(CancellationToken cancellationToken)
            => await RunParallelAsync(_copies, cancellationToken).ConfigureAwait(false);
    }
}
