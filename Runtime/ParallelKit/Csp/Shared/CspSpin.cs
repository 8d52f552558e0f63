using System;
using System.Diagnostics;
using System.Threading;

namespace ParallelKit.CspRuntime;

/// <summary>
/// How long a CSP waiter spins before it parks. A busy network's peer acts within microseconds, and catching that
/// by spinning saves a park (a thread-pool hop or a futex sleep) and its wake-up; spinning longer only takes the
/// CPU from the peer it waits for (two cores, four processes), so spins are short and bounded by the clock. A
/// waiter's spin pauses; a doorbell's yields (see <see cref="Yield"/>).
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
    /// A doorbell thread of <see cref="CspArena"/> with nothing to run, before it sleeps (one per process at a time,
    /// and only while no thread of its process runs a continuation). A network that takes turns across processes
    /// answers within microseconds: a ring the spinner sees costs neither a system call nor a wake-up (measured,
    /// CommsTime with one member in an OS process on two cores: 4.8–6.5 µs per communication with no spin, 1.3–1.6 µs
    /// with 20–100 µs). It spins by yielding (<see cref="Yield"/>).
    /// </summary>
    public static readonly long DoorbellTicks = Ticks("PARALLELKIT_CSP_SPIN_DOORBELL_US", 50);

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

    /// <summary>
    /// One turn of a doorbell's spin: a yield, not a pause. On two cores the peer this process just woke is often
    /// queued on this very core, behind the spinner, until the spin ends; a yield lets it run, and with nothing else
    /// to run it returns at once (a system call: the spin's pace). False once <paramref name="deadline"/> has passed.
    /// </summary>
    public static bool Yield(long deadline)
    {
        if (deadline == 0 || Stopwatch.GetTimestamp() >= deadline)
        {
            return false;
        }

        Thread.Yield();
        return true;
    }

    private static long Ticks(string variable, int defaultMicroseconds)
    {
        // Clamped: a spin longer than 100 µs only takes the CPU from the peer waited for (and a huge value would overflow).
        int microseconds = int.TryParse(Environment.GetEnvironmentVariable(variable), out int set) && set >= 0 ? Math.Min(set, 100) : defaultMicroseconds;
        return microseconds * Stopwatch.Frequency / 1_000_000;
    }
}
