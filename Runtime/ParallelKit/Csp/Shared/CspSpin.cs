using System;
using System.Diagnostics;
using System.Threading;

namespace ParallelKit.CspRuntime;

/// <summary>
/// How long a CSP waiter spins before it parks. A busy network's peer acts within microseconds, and catching that
/// by spinning saves a park (a thread-pool hop or a futex sleep) and its wake-up; spinning longer only takes the
/// CPU from the peer it waits for (two cores, four processes), so spins are short, bounded by the clock, and never
/// yield (a yield on a loaded host gives the CPU away for a whole time slice).
/// </summary>
internal static class CspSpin
{
    /// <summary>
    /// An async waiter on an in-process channel does not spin: it runs on a thread-pool thread, which its peer's
    /// continuation may be queued behind (measured: 1 µs of spin made in-process CommsTime 3–4× slower on two cores).
    /// </summary>
    public static readonly long LocalAsyncTicks = Ticks("PARALLELKIT_CSP_SPIN_LOCAL_ASYNC_US", 0);

    /// <summary>A blocking waiter on an in-process channel (a thread of its own): its park costs a monitor wait and a wake-up.</summary>
    public static readonly long LocalBlockingTicks = Ticks("PARALLELKIT_CSP_SPIN_LOCAL_US", 2);

    /// <summary>
    /// An async waiter on a channel in shared memory does not spin either: on two cores its spin takes the CPU from the
    /// peer process it waits for (measured: ping-pong across processes slower in most runs with 2–30 µs of spin), and its park costs
    /// one futex wake-up of its process's doorbell thread, which then runs its continuation.
    /// </summary>
    public static readonly long SharedAsyncTicks = Ticks("PARALLELKIT_CSP_SPIN_SHARED_ASYNC_US", 0);

    /// <summary>A blocking waiter on a channel in shared memory: its park costs a futex sleep and wake-up.</summary>
    public static readonly long SharedBlockingTicks = Ticks("PARALLELKIT_CSP_SPIN_SHARED_US", 5);

    /// <summary>
    /// A doorbell thread of <see cref="CspArena"/> with nothing to run, before it sleeps (one per process at a time).
    /// Off by default: on a shared two-core host, 5–50 µs of it made cross-process CommsTime 3–10× slower (a thread
    /// that spins is a CPU hog to the scheduler, and waits behind the other tenants when it needs the CPU; one that
    /// sleeps is woken ahead of them). On a host with idle cores, a spin the peer answers within saves a futex wake-up
    /// per crossing.
    /// </summary>
    public static readonly long DoorbellTicks = Ticks("PARALLELKIT_CSP_SPIN_DOORBELL_US", 0);

    /// <summary>The deadline of a spin that starts now.</summary>
    public static long Deadline(long ticks) => ticks <= 0 ? 0 : Stopwatch.GetTimestamp() + ticks;

    /// <summary>One pause of a spin; false once <paramref name="deadline"/> has passed.</summary>
    public static bool Pause(long deadline)
    {
        if (deadline == 0 || Stopwatch.GetTimestamp() >= deadline)
        {
            return false;
        }

        Thread.SpinWait(20);
        return true;
    }

    private static long Ticks(string variable, int defaultMicroseconds)
    {
        // Clamped: a spin longer than 100 µs only takes the CPU from the peer waited for (and a huge value would overflow).
        int microseconds = int.TryParse(Environment.GetEnvironmentVariable(variable), out int set) && set >= 0 ? Math.Min(set, 100) : defaultMicroseconds;
        return microseconds * Stopwatch.Frequency / 1_000_000;
    }
}
