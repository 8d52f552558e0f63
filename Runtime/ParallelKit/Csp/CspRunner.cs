using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Sync;

namespace ParallelKit.CspRuntime;

/// <summary>
/// Where the continuation of an async CSP waiter runs once a peer completes it: Go's <c>runnext</c>, in turn. A
/// thread that runs CSP continuations through <see cref="Run"/> (a thread-pool thread, or a doorbell thread of
/// <see cref="CspArena"/>) keeps one <em>hand-off</em>: the waiter the continuation it runs completed last. When that
/// continuation returns (its process parked on its next wait, or ended), the thread runs the hand-off next, instead of
/// queueing it to the thread pool and waking another thread for it, which then waits for a core and finds the value in
/// another core's cache. A second waiter completed meanwhile takes the slot, and the one it held joins this thread's
/// <em>displaced</em> queue, which the thread runs first, oldest first: every waiter a process wakes runs in the order
/// it was woken, as on PyCSP's greenlets. A network whose processes take turns (a ring like CommsTime, a pipeline
/// that waits on its neighbours, a reader selecting between writers) so runs on one thread, one process after
/// another, with no thread wake-up per communication, and in turn: a reader that took from one writer and then from
/// another cannot select again before both writers have run and offered again, which is what keeps a fair selection
/// between two writers fair.
/// </summary>
/// <remarks>
/// <para>
/// What the hand-off never does: run user code on the completing thread while that thread is inside a channel
/// operation (the hand-off only runs once the current continuation has returned to <see cref="Run"/>, so the
/// stack does not grow along a chain of processes: a ring of a thousand processes runs at constant depth), run a
/// continuation that captured a <see cref="SynchronizationContext"/>, a <see cref="System.Threading.Tasks.TaskScheduler"/>
/// or an execution context to flow (those go where they asked to), or take a thread that blocks: a blocking channel
/// operation makes <em>orphans</em> of what the thread holds before it parks.
/// </para>
/// <para>
/// Orphans are continuations no runner holds: completed from a thread that runs no runner, left when a thread's
/// <see cref="Budget"/> ran out, or moved off a stuck thread. They wait in one queue, oldest first, that every runner
/// takes from before its own, and one thread-pool item (<c>Resume</c>) runs them when no runner does: a busy network
/// never waits for a free pool thread (the pool may have none: its threads blocked elsewhere), and a network whose
/// thread left it goes on together on the next thread instead of being dealt out to every pool thread. Processes
/// are also started by a runner (<see cref="Start"/>), so that those a start wakes run in turn too.
/// </para>
/// <para>
/// What it costs: a process handed off waits until the one that woke it parks. When that one computes for long
/// after its write instead (a producer that makes its next value), a monitor thread (Go's <c>sysmon</c>), awake
/// only while hand-offs happen or orphans are made, makes orphans of what a thread holds once that thread has made no
/// hand-off for <see cref="StuckTicks"/> ticks (a millisecond each) and was on a core or blocked meanwhile, and another
/// core takes them (orphans that wait behind a runner running one that computes likewise: <see cref="MonitorOrphans"/>);
/// a thread that blocks outside a channel operation (<c>Task.Wait</c>, a lock) so delays what it holds by a few
/// milliseconds, never for ever. A runner whose continuations compute (<see cref="HeavyTicks"/>) lets idle cores take
/// what it is handed at once. A
/// thread runs at most <see cref="Budget"/> continuations in a row before it gives the rest back (other work queued
/// on it gets its turn). A continuation sits in more than one place at times (a displaced queue, the orphans): it is
/// run by whoever claims it first (<see cref="Selection.TryClaimDispatch"/>), once. <c>PARALLELKIT_CSP_HANDOFF=0</c>
/// turns all this off (every completed waiter is queued to the pool, as .NET's channels do; selections between
/// live writers are then only as fair as the pool's timing).
/// </para>
/// </remarks>
internal sealed class CspRunner
{
    /// <summary>Continuations one thread runs in a row before it queues the rest to the thread pool.</summary>
    public const int Budget = 256;

    /// <summary>
    /// Monitor ticks (about a millisecond each) a runner may hold continuations while its thread runs one without
    /// making a hand-off before the monitor makes orphans of them, unless the kernel has kept that thread off every
    /// core meanwhile (preempted: more runnable threads than cores). Such a thread keeps its network: dealt out over
    /// threads, the network no longer runs in turn, and a fair selection between two writers stays fair only while
    /// both writers run in turn.
    /// </summary>
    public const int StuckTicks = 2;

    /// <summary>Looks in a row (each after <see cref="StuckTicks"/> ticks) the monitor believes a thread preempted before it moves what the thread holds anyway.</summary>
    public const int MaxPreemptedLooks = 10;

    /// <summary>
    /// How long a continuation runs (50 µs, not counting time the JIT compiled) before the runner counts it as
    /// computing rather than talking. A runner reads the clock once every <see cref="Sample"/> continuations; a sample
    /// computed when its continuations took half that on average. While two of the last four samples did, or one did
    /// and the continuation running now has run that long, every continuation the runner is handed is also queued to
    /// the thread pool, where an idle core may claim it first: a pipeline whose stages compute runs on every core, a
    /// network that only talks stays on one thread, in turn. One long continuation alone (the kernel preempted its
    /// thread, an exception was thrown) is not enough, and time a thread spends outside CSP work is not counted.
    /// </summary>
    public static readonly long HeavyTicks = Stopwatch.Frequency / 20_000;

    /// <summary>Continuations a runner runs between two clock reads (a read costs about as much as a communication's tenth).</summary>
    private const int Sample = 8;

    /// <summary>Whether hand-offs are on (<c>PARALLELKIT_CSP_HANDOFF</c> is not <c>0</c>).</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("PARALLELKIT_CSP_HANDOFF") != "0";

    private static readonly List<CspRunner> s_runners = [];
    private static readonly ConcurrentQueue<Selection> s_orphans = new(); // dispatched continuations no runner holds, oldest first
    private static int s_orphanCount; // their number, read before looking into the queue
    private static int s_resumeQueued; // 1 while the Resume item is in the thread pool's queue
    private static int s_monitoring; // 1 while the monitor thread runs
    private static int s_orphansTaken; // counts orphans runners took (written racily: the monitor only looks whether it moved)
    private static CspRunner? s_orphanTaker; // the runner that took an orphan last

    // The monitor's own, about the orphans (see MonitorOrphans):
    private static int s_seenOrphansTaken;
    private static int s_orphanStuckTicks;
    private static int s_orphanPreemptedLooks;
    private static long s_orphanStuckOnCpuNs;

    [ThreadStatic]
    private static CspRunner? t_active; // the runner whose loop is on this thread's stack

    [ThreadStatic]
    private static CspRunner? t_own;

    private readonly Thread _thread = Thread.CurrentThread;
    private readonly ConcurrentQueue<Selection> _displaced = new(); // hand-offs a newer one displaced, oldest first
    private Selection? _next;     // the hand-off; exchanged by this runner's thread and the monitor
    private int _handOffs;        // counts hand-offs made (written by this runner's thread only), for the monitor
    private int _seenHandOffs;    // the count the monitor saw at its last look (the monitor's own)
    private byte _recent;         // one bit per sample of Sample continuations, the last four, newest lowest: 1 if they computed
    private bool _heavy;          // two or more of those did: its network computes (one alone may have been preempted)
    private bool _publishing;     // the continuation it runs computes for long too: what it is handed is published
    private long _started;        // when the continuation it runs started, timed only while _recent is not 0 (else 0)
    private int _invoked;         // continuations run, counted for the sampling
    private long _entered;        // when its loop started
    private long _busy;           // time spent in its loops that ended
    private long _sampled;        // time spent in its loops at the last sample (0: none yet)
    private long _sampledCompiled; // the methods this thread's JIT had compiled then
    private long _compiled;       // the methods this thread's JIT had compiled then (time spent compiling is not computing)
    private readonly int _tid = OperatingSystem.IsLinux() ? ThreadIdentity.Current : 0; // the kernel's id of _thread
    private long _stuckOnCpuNs;   // the monitor's: _thread's time on a core when it first looked stuck
    private int _stuckTicks;      // the monitor's: ticks in a row this runner held continuations and made no hand-off
    private int _preemptedLooks;  // the monitor's: looks in a row that found this runner's thread preempted

    private CspRunner()
    {
    }

    /// <summary>Whether this runner holds continuations (a hand-off or displaced ones).</summary>
    private bool Holds => Volatile.Read(ref _next) is not null || !_displaced.IsEmpty;

    /// <summary>
    /// Runs <paramref name="first"/>'s continuation on this thread, then whatever it and its successors leave to run
    /// (up to <see cref="Budget"/>). Called on a thread about to go idle: a thread-pool work item, a doorbell thread.
    /// </summary>
    public static void Run(Selection first)
    {
        if (t_active is not null || !Enabled)
        {
            first.InvokeContinuation(); // nested (a context that ran a posted continuation inline): the outer loop drains
            return;
        }

        Loop(first);
    }

    /// <summary>This thread's runner loop: <paramref name="first"/> (when given), then what is left to run, up to <see cref="Budget"/>.</summary>
    private static void Loop(Selection? first)
    {
        CspRunner runner = t_own ??= Register();
        t_active = runner;
        runner.Enter();
        try
        {
            int left = Budget;
            if (first is not null)
            {
                runner.Invoke(first);
                left--;
            }

            runner.Drain(left);
        }
        finally
        {
            runner.Leave();
            t_active = null;
            runner.OrphanAll(); // a continuation threw, or the budget ran out: nothing stays behind
        }
    }

    /// <summary>
    /// Starts a process on this thread (<paramref name="start"/> runs its body up to its first wait) as a runner
    /// would: the processes that start wakes are held, not queued one by one to the thread pool, and become orphans
    /// when it returns, run in turn by one runner. Nothing else runs here: the caller gets the started task at once.
    /// </summary>
    public static T Start<T>(Func<T> start)
    {
        if (t_active is not null || !Enabled)
        {
            return start();
        }

        CspRunner runner = t_own ??= Register();
        t_active = runner;
        runner.Enter();
        try
        {
            return start();
        }
        finally
        {
            runner.Leave();
            t_active = null;
            runner.OrphanAll();
        }
    }

    /// <summary>
    /// Schedules a completed waiter's continuation from the thread that completed it (maybe holding a channel's
    /// lock: nothing runs here): the hand-off of this thread's runner when it has one, else an orphan.
    /// </summary>
    public static void Dispatch(Selection selection)
    {
        selection.MarkDispatched();
        if (!Enabled)
        {
            ThreadPool.UnsafeQueueUserWorkItem(selection, preferLocal: true); // as .NET's channels do
            return;
        }

        CspRunner? runner = t_active;
        if (runner is null)
        {
            Orphan(selection);
            return;
        }

        Volatile.Write(ref runner._handOffs, runner._handOffs + 1);
        if (Interlocked.Exchange(ref runner._next, selection) is { } older)
        {
            runner._displaced.Enqueue(older); // runs before the newest: first woken, first run
        }

        if (runner._heavy || runner._publishing)
        {
            // This thread's last continuation computed for long: let an idle core take this one meanwhile.
            ThreadPool.UnsafeQueueUserWorkItem(selection, preferLocal: true);
        }
        else if (runner._started != 0 && Stopwatch.GetTimestamp() - runner._started >= HeavyTicks && JitInfo.GetCompiledMethodCount(currentThread: true) == runner._compiled)
        {
            // The one running now computes for long, as one did lately: an idle core may take whatever this thread holds meanwhile.
            runner._publishing = true;
            runner.Publish();
        }

        if (Volatile.Read(ref s_monitoring) == 0)
        {
            StartMonitor();
        }
    }

    /// <summary>Before this thread blocks in a channel operation: what its runner holds becomes orphans (nobody else would run it).</summary>
    public static void BeforeBlocking()
    {
        t_active?.OrphanAll();
        CspArena.BeforeBlocking();
    }

    /// <summary>Whether this thread runs a runner that holds continuations (processes it woke that have not run yet).</summary>
    public static bool HoldsHere => t_active is { } runner && runner.Holds;

    /// <summary>
    /// Lets the continuations this thread's runner holds run first: the awaiting continuation becomes its newest
    /// hand-off, behind the ones it displaces (woken first, run first). A fair selection that would otherwise select
    /// before the processes it just woke have offered again awaits this.
    /// </summary>
    public static YieldAwaitable Yield() => default;

    /// <summary>The awaitable of <see cref="Yield"/>.</summary>
    public readonly struct YieldAwaitable : ICriticalNotifyCompletion
    {
        /// <summary>Never complete at once: the continuation is always dispatched.</summary>
        public bool IsCompleted => false;

        /// <summary>Returns the awaitable itself.</summary>
        public YieldAwaitable GetAwaiter() => this;

        /// <summary>Nothing to return.</summary>
        public void GetResult()
        {
        }

        /// <inheritdoc/>
        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        /// <inheritdoc/>
        public void UnsafeOnCompleted(Action continuation)
        {
            // A selection of its own, signaled at once from this thread: its continuation is dispatched as a hand-off.
            Selection selection = Selection.Rent(async: true);
            ValueTask wait = selection.WaitAsync(-1, CancellationToken.None);
            wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(continuation);
            selection.Signal();
        }
    }

    /// <summary>Starts the hand-off monitor unless it runs (it also watches doorbell threads running a waiter: <see cref="CspArena.CheckAttended"/>).</summary>
    public static void EnsureMonitor()
    {
        if (Volatile.Read(ref s_monitoring) == 0)
        {
            StartMonitor();
        }
    }

    /// <summary>Runs up to <paramref name="left"/> continuations that this runner holds or that are orphaned, oldest first.</summary>
    private void Drain(int left)
    {
        for (; left > 0 && TakeNext() is { } next; left--)
        {
            Invoke(next);
        }
    }

    /// <summary>Runs a continuation, and samples whether this runner's continuations compute (<see cref="HeavyTicks"/>).</summary>
    private void Invoke(Selection selection)
    {
        if ((++_invoked & (Sample - 1)) == 0)
        {
            // One clock read per Sample continuations: they computed if together they took Sample × HeavyTicks / 2.
            long now = Stopwatch.GetTimestamp();
            long compiled = JitInfo.GetCompiledMethodCount(currentThread: true);
            long busy = _busy + (now - _entered); // time spent in this runner's loops, not idle between them
            if (_sampled != 0)
            {
                bool heavy = busy - _sampled >= Sample * HeavyTicks / 2 && compiled == _sampledCompiled;
                _recent = (byte)(((_recent << 1) | (heavy ? 1 : 0)) & 0xF);
                _heavy = BitOperations.PopCount(_recent) >= 2;
            }

            (_sampled, _sampledCompiled) = (busy, compiled);
        }

        // Only a runner that computed lately times each continuation (for Dispatch): one that talks pays no clock read.
        if (_recent != 0)
        {
            (_started, _compiled) = (Stopwatch.GetTimestamp(), JitInfo.GetCompiledMethodCount(currentThread: true));
        }
        else
        {
            _started = 0;
        }

        _publishing = false;
        selection.InvokeContinuation();
    }

    /// <summary>Notes when this runner's loop started (its samples count the time inside its loops only).</summary>
    private void Enter()
    {
        _entered = Stopwatch.GetTimestamp();
        (_publishing, _started) = (false, 0);
    }

    /// <summary>Notes that this runner's loop ended.</summary>
    private void Leave()
    {
        _busy += Stopwatch.GetTimestamp() - _entered;
    }

    /// <summary>Queues to the thread pool, besides holding them, the continuations this runner holds: an idle core may claim them first.</summary>
    private void Publish()
    {
        foreach (Selection displaced in _displaced)
        {
            if (displaced.IsDispatched)
            {
                ThreadPool.UnsafeQueueUserWorkItem(displaced, preferLocal: true);
            }
        }

        if (Volatile.Read(ref _next) is { } next)
        {
            ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: true);
        }
    }

    /// <summary>
    /// Claims the continuation this runner's thread runs next, oldest first: an orphan, else a displaced hand-off, else
    /// the hand-off; null when there is none.
    /// </summary>
    private Selection? TakeNext()
    {
        if (Volatile.Read(ref s_orphanCount) > 0)
        {
            while (s_orphans.TryDequeue(out Selection? orphan))
            {
                Interlocked.Decrement(ref s_orphanCount);
                if (orphan.TryClaimDispatch())
                {
                    s_orphanTaker = this;
                    Volatile.Write(ref s_orphansTaken, s_orphansTaken + 1);
                    return orphan;
                }
            }
        }

        while (_displaced.TryDequeue(out Selection? displaced))
        {
            if (displaced.TryClaimDispatch())
            {
                return displaced;
            }
        }

        while (Volatile.Read(ref _next) is not null && Interlocked.Exchange(ref _next, null) is { } next)
        {
            if (next.TryClaimDispatch())
            {
                return next;
            }
        }

        return null;
    }

    /// <summary>Makes orphans of everything this runner holds, oldest first (its thread leaves the loop, blocks, or is stuck).</summary>
    private void OrphanAll()
    {
        if (Volatile.Read(ref s_orphanCount) > 0)
        {
            QueueResume(); // orphans this runner left (its budget ran out): the next thread takes them
        }

        while (_displaced.TryDequeue(out Selection? displaced))
        {
            if (displaced.IsDispatched)
            {
                Orphan(displaced);
            }
        }

        if (Volatile.Read(ref _next) is not null && Interlocked.Exchange(ref _next, null) is { } next)
        {
            Orphan(next);
        }
    }

    /// <summary>
    /// Queues a dispatched continuation no runner holds: to the thread pool, and to the orphans every runner takes
    /// first, so it runs on whichever comes first (a busy network's thread does not wait for a free pool thread).
    /// </summary>
    private static void Orphan(Selection selection)
    {
        s_orphans.Enqueue(selection);
        Interlocked.Increment(ref s_orphanCount); // a full fence before reading s_resumeQueued (see Resume.Execute)
        QueueResume();
        if (Volatile.Read(ref s_monitoring) == 0)
        {
            StartMonitor(); // it watches that orphans are taken (MonitorOrphans)
        }
    }

    private static void QueueResume()
    {
        if (Volatile.Read(ref s_resumeQueued) == 0 && Interlocked.Exchange(ref s_resumeQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(Resume.Instance, preferLocal: false);
        }
    }

    /// <summary>
    /// The thread-pool item that runs the orphans when no runner takes them first: one for all of them, so that a
    /// network whose thread left it (its budget ran out, it blocked) goes on together on the next thread, in turn,
    /// instead of being dealt out to every pool thread.
    /// </summary>
    private sealed class Resume : IThreadPoolWorkItem
    {
        public static readonly Resume Instance = new();

        public void Execute()
        {
            Interlocked.Exchange(ref s_resumeQueued, 0); // a full fence: an orphan made from now on queues this again, or is seen below
            if (Volatile.Read(ref s_orphanCount) == 0)
            {
                return; // runners took them all
            }

            Loop(null);
        }
    }

    private static CspRunner Register()
    {
        var runner = new CspRunner();
        lock (s_runners)
        {
            s_runners.Add(runner);
        }

        return runner;
    }

    private static void StartMonitor()
    {
        if (Interlocked.CompareExchange(ref s_monitoring, 1, 0) == 0)
        {
            new Thread(MonitorLoop) { IsBackground = true, Name = "ParallelKit CSP hand-off monitor" }.Start();
        }
    }

    /// <summary>
    /// Every tick, moves to the thread pool each hand-off that sat there since the last tick (its thread made none
    /// meanwhile: it has run one continuation for a whole tick, computing or blocked), and asks another thread to take
    /// orphans none took (<see cref="MonitorOrphans"/>); ends after a tenth of a second
    /// without hand-offs or orphans.
    /// </summary>
    private static void MonitorLoop()
    {
        int quietTicks = 0;
        while (true)
        {
            Thread.Sleep(1);
            bool any = false;
            lock (s_runners)
            {
                for (int i = s_runners.Count - 1; i >= 0; i--)
                {
                    CspRunner runner = s_runners[i];
                    if (!runner._thread.IsAlive)
                    {
                        s_runners.RemoveAt(i); // a retired pool thread or doorbell thread (whatever it left is moved below)
                    }

                    int handOffs = Volatile.Read(ref runner._handOffs);
                    if (handOffs != runner._seenHandOffs)
                    {
                        runner._seenHandOffs = handOffs;
                        runner._stuckTicks = 0;
                        runner._preemptedLooks = 0;
                        any = true;
                    }
                    else if (runner.Holds)
                    {
                        any = true;
                        if (++runner._stuckTicks == 1)
                        {
                            runner._stuckOnCpuNs = runner.OnCpuNs();
                        }
                        else if (runner._stuckTicks >= StuckTicks
                            && runner._preemptedLooks < MaxPreemptedLooks
                            && runner.PreemptedSince(runner._stuckOnCpuNs))
                        {
                            // Waiting for a core, not computing or blocked: its network waits with it. Not for ever:
                            // the kernel updates a running thread's time on a core only at its ticks, which a
                            // tickless core may not have.
                            runner._preemptedLooks++;
                            runner._stuckTicks = 1;
                            runner._stuckOnCpuNs = runner.OnCpuNs();
                        }
                        else if (runner._stuckTicks >= StuckTicks)
                        {
                            runner.OrphanAll(); // its thread ran one continuation for StuckTicks ticks: computing or blocked
                            runner._stuckTicks = 0;
                            runner._preemptedLooks = 0;
                        }
                    }
                }
            }

            any |= MonitorOrphans();
            any |= CspArena.CheckAttended();
            if (any)
            {
                quietTicks = 0;
                continue;
            }

            if (++quietTicks < 100)
            {
                continue;
            }

            // Quiet: stop; a hand-off made meanwhile starts a new monitor (it reads s_monitoring after its exchange).
            Interlocked.Exchange(ref s_monitoring, 0); // a full fence: a later hand-off sees 0, or this look sees it
            if (!HasHandOff() || Interlocked.CompareExchange(ref s_monitoring, 1, 0) != 0)
            {
                return;
            }

            quietTicks = 0;
        }
    }

    /// <summary>
    /// One tick of the monitor's watch over the orphans: when some wait and none was taken for <see cref="StuckTicks"/>
    /// ticks, the runner that took them is running one for long (a process that computes between its channel
    /// operations: the orphans queued behind it, made before its loop began, would wait for it, and a fair selection
    /// waiting for one of them with them), so another thread is asked to take them (<see cref="QueueResume"/>); not
    /// while that runner's thread waits for a core (as for the hand-offs a runner holds, up to
    /// <see cref="MaxPreemptedLooks"/> looks).
    /// </summary>
    /// <returns>Whether orphans were made or waited: the monitor goes on.</returns>
    private static bool MonitorOrphans()
    {
        int taken = Volatile.Read(ref s_orphansTaken);
        bool moved = taken != s_seenOrphansTaken;
        s_seenOrphansTaken = taken;
        if (Volatile.Read(ref s_orphanCount) == 0 || moved)
        {
            s_orphanStuckTicks = 0;
            s_orphanPreemptedLooks = 0;
            return moved || Volatile.Read(ref s_orphanCount) > 0;
        }

        CspRunner? taker = Volatile.Read(ref s_orphanTaker);
        if (++s_orphanStuckTicks == 1)
        {
            s_orphanStuckOnCpuNs = taker?.OnCpuNs() ?? -1;
        }
        else if (s_orphanStuckTicks >= StuckTicks
            && s_orphanPreemptedLooks < MaxPreemptedLooks
            && taker is not null
            && taker.PreemptedSince(s_orphanStuckOnCpuNs))
        {
            s_orphanPreemptedLooks++;
            s_orphanStuckTicks = 1;
            s_orphanStuckOnCpuNs = taker.OnCpuNs();
        }
        else if (s_orphanStuckTicks >= StuckTicks)
        {
            QueueResume();
            s_orphanStuckTicks = 0;
            s_orphanPreemptedLooks = 0;
        }

        return true;
    }

    /// <summary>This runner's thread's time on a core so far (ns; -1 where <c>/proc</c> does not tell).</summary>
    private long OnCpuNs()
    {
        try
        {
            string schedStat = File.ReadAllText($"/proc/self/task/{_tid}/schedstat");
            int space = schedStat.IndexOf(' ', StringComparison.Ordinal);
            return _tid != 0 && long.TryParse(schedStat.AsSpan(0, space < 0 ? schedStat.Length : space), NumberStyles.None, CultureInfo.InvariantCulture, out long ns) ? ns : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1; // the thread ended, or no such file here
        }
    }

    /// <summary>
    /// Whether this runner's thread, stuck in one continuation, is runnable but has not been on a core since
    /// <paramref name="onCpuNs"/> (the kernel preempted it: more runnable threads than cores) rather than computing or
    /// blocked. Moving its processes to another thread would then deal its network out over threads, where they no
    /// longer run in turn (a fair selection between two writers stays fair only while both writers run in turn).
    /// </summary>
    private bool PreemptedSince(long onCpuNs)
    {
        if (onCpuNs < 0 || OnCpuNs() != onCpuNs)
        {
            return false; // it ran meanwhile (computing), or we cannot tell
        }

        try
        {
            string stat = File.ReadAllText($"/proc/self/task/{_tid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'R'; // runnable, not sleeping (blocked)
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool HasHandOff()
    {
        lock (s_runners)
        {
            foreach (CspRunner runner in s_runners)
            {
                if (runner.Holds)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
