using System;
using System.Threading;

namespace ParallelKit.Sync;

/// <summary>
/// When a wait must end: the one place that turns a time-out in milliseconds into "how long may the next
/// sleep last". Negative milliseconds mean no limit; <see cref="Environment.TickCount64"/> is the clock, as for
/// every wait in ParallelKit (monotonic, immune to changes of the wall clock).
/// </summary>
internal readonly struct Deadline
{
    private readonly long _at; // Environment.TickCount64 at which the wait ends; long.MaxValue: never

    private Deadline(long at) => _at = at;

    /// <summary>A deadline that never comes.</summary>
    public static Deadline Never => new(long.MaxValue);

    /// <summary>Whether the wait has no limit.</summary>
    public bool IsInfinite => _at == long.MaxValue;

    /// <summary>Whether the time is up.</summary>
    public bool HasPassed => !IsInfinite && Environment.TickCount64 >= _at;

    /// <summary>The milliseconds left: -1 without a limit, 0 once passed.</summary>
    public int Remaining => IsInfinite ? -1 : (int)Math.Clamp(_at - Environment.TickCount64, 0, int.MaxValue - 1);

    /// <summary>
    /// Whether the deadline comes within the next <paramref name="milliseconds"/> (a sleep of that long, or one of
    /// <see cref="Slice"/>, would reach it); never without a limit.
    /// </summary>
    public bool EndsWithin(int milliseconds) => !IsInfinite && Remaining <= milliseconds;

    /// <summary>The deadline <paramref name="milliseconds"/> from now (negative: never; 0: already passed).</summary>
    public static Deadline After(int milliseconds) => milliseconds < 0 ? Never : new(Environment.TickCount64 + milliseconds);

    /// <summary>The deadline <paramref name="timeout"/> from now (<see cref="Timeout.InfiniteTimeSpan"/>: never).</summary>
    public static Deadline After(TimeSpan timeout) => After(RobustLock.Milliseconds(timeout));

    /// <summary>
    /// How long the next sleep may last: what is left, but at most <paramref name="slice"/> milliseconds (so that the
    /// sleeper looks around now and then: for a dead peer, a disposal, a cancellation). 0 once the deadline passed;
    /// -1 only when both are unlimited.
    /// </summary>
    public int Slice(int slice)
    {
        int left = Remaining;
        if (left < 0)
        {
            return slice;
        }

        return slice < 0 ? left : Math.Min(left, slice);
    }
}
