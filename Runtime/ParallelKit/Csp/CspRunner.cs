using System;
using System.Collections.Generic;
using System.Threading;

namespace ParallelKit.CspRuntime;

/// <summary>
/// Where the continuation of an async CSP waiter runs once a peer completes it: Go's <c>runnext</c>. A thread that
/// runs CSP continuations through <see cref="Run"/> (a thread-pool thread, or a doorbell thread of
/// <see cref="CspArena"/>) keeps one <em>hand-off</em>: the waiter the continuation it runs completed last. When that
/// continuation returns (its process parked on its next wait, or ended), the thread runs the hand-off next, instead of
/// queueing it to the thread pool and waking another thread for it, which then waits for a core and finds the value in
/// another core's cache. A second waiter completed meanwhile takes the slot, and the one it held goes to the thread
/// pool, where another core may take it: a process that wakes two (a pipeline stage whose read met a waiting writer
/// after its write met a waiting reader) runs one of them next and lets the other run beside it. A network whose processes take turns (a ring like CommsTime, a
/// pipeline that waits on its neighbours) so runs on one thread, one process after another, with no thread
/// wake-up per communication.
/// </summary>
/// <remarks>
/// <para>
/// What the hand-off never does: run user code on the completing thread while that thread is inside a channel
/// operation (the hand-off only runs once the current continuation has returned to <see cref="Run"/>, so the
/// stack does not grow along a chain of processes: a ring of a thousand processes runs at constant depth), run a
/// continuation that captured a <see cref="SynchronizationContext"/>, a <see cref="System.Threading.Tasks.TaskScheduler"/>
/// or an execution context to flow (those go where they asked to), or take a thread that blocks: a blocking channel
/// operation queues the hand-off to the pool before it parks.
/// </para>
/// <para>
/// What it costs: a process handed off waits until the one that woke it parks. When that one computes for long
/// after its write instead (a producer that makes its next value), a monitor thread (Go's <c>sysmon</c>), awake
/// only while hand-offs happen, moves a hand-off that sat through a whole tick (about a millisecond) to the thread
/// pool, where another core takes it; a thread that blocks outside a channel operation (<c>Task.Wait</c>, a lock)
/// so delays its hand-off by a tick at most, never for ever. A thread runs at most <see cref="Budget"/>
/// hand-offs in a row before it gives the rest back to the pool (other work queued on it gets its turn).
/// <c>PARALLELKIT_CSP_HANDOFF=0</c> turns hand-offs off (every completed waiter is queued to the pool, as
/// .NET's channels do).
/// </para>
/// </remarks>
internal sealed class CspRunner
{
    /// <summary>Hand-offs one thread runs in a row before it queues the next one to the thread pool.</summary>
    public const int Budget = 256;

    /// <summary>Whether hand-offs are on (<c>PARALLELKIT_CSP_HANDOFF</c> is not <c>0</c>).</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("PARALLELKIT_CSP_HANDOFF") != "0";

    private static readonly List<CspRunner> s_runners = [];
    private static int s_monitoring; // 1 while the monitor thread runs

    [ThreadStatic]
    private static CspRunner? t_active; // the runner whose loop is on this thread's stack

    [ThreadStatic]
    private static CspRunner? t_own;

    private readonly Thread _thread = Thread.CurrentThread;
    private Selection? _next;     // the hand-off; exchanged by this runner's thread and the monitor
    private int _handOffs;        // counts hand-offs made (written by this runner's thread only), for the monitor
    private int _seenHandOffs;    // the count the monitor saw at its last look (the monitor's own)

    private CspRunner()
    {
    }

    /// <summary>
    /// Runs <paramref name="first"/>'s continuation on this thread, then the hand-offs it and its successors leave
    /// (up to <see cref="Budget"/>). Called on a thread about to go idle: a thread-pool work item, a doorbell thread.
    /// </summary>
    public static void Run(Selection first)
    {
        if (t_active is not null || !Enabled)
        {
            first.InvokeContinuation(); // nested (a context that ran a posted continuation inline): the outer loop drains
            return;
        }

        CspRunner runner = t_own ??= Register();
        t_active = runner;
        try
        {
            Selection? next = first;
            for (int left = Budget; ;)
            {
                next.InvokeContinuation();
                if (Volatile.Read(ref runner._next) is null || (next = Interlocked.Exchange(ref runner._next, null)) is null)
                {
                    return;
                }

                if (--left == 0)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: true);
                    return;
                }
            }
        }
        finally
        {
            t_active = null;
            if (Volatile.Read(ref runner._next) is not null && Interlocked.Exchange(ref runner._next, null) is { } left)
            {
                ThreadPool.UnsafeQueueUserWorkItem(left, preferLocal: true); // a continuation threw: nothing stays behind
            }
        }
    }

    /// <summary>
    /// Schedules a completed waiter's continuation from the thread that completed it (maybe holding a channel's
    /// lock: nothing runs here): the hand-off of this thread's runner when it has one, else the thread pool.
    /// </summary>
    public static void Dispatch(Selection selection)
    {
        CspRunner? runner = t_active;
        if (runner is null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(selection, preferLocal: true);
            return;
        }

        Volatile.Write(ref runner._handOffs, runner._handOffs + 1);
        if (Interlocked.Exchange(ref runner._next, selection) is { } older)
        {
            ThreadPool.UnsafeQueueUserWorkItem(older, preferLocal: true); // the newest runs next (its peer just ran here: warm caches)
        }

        if (Volatile.Read(ref s_monitoring) == 0)
        {
            StartMonitor();
        }
    }

    /// <summary>Before this thread blocks in a channel operation: its hand-off goes to the thread pool (nobody else would run it).</summary>
    public static void BeforeBlocking()
    {
        if (t_active is { } runner && Volatile.Read(ref runner._next) is not null && Interlocked.Exchange(ref runner._next, null) is { } next)
        {
            ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: true);
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
    /// meanwhile: it has run one continuation for a whole tick, computing or blocked); ends after a tenth of a second
    /// without hand-offs.
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
                        any = true;
                    }
                    else if (Volatile.Read(ref runner._next) is { } stuck && Interlocked.CompareExchange(ref runner._next, null, stuck) == stuck)
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(stuck, preferLocal: false);
                        any = true;
                    }
                }
            }

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

    private static bool HasHandOff()
    {
        lock (s_runners)
        {
            foreach (CspRunner runner in s_runners)
            {
                if (Volatile.Read(ref runner._next) is not null)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
