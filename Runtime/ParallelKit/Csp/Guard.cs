using System;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// One choice of an <see cref="Alternation"/>: an input guard (<see cref="ChannelIn{T}.Guard"/>), an output
/// guard (<see cref="ChannelOut{T}.Guard(T)"/>), <see cref="Skip"/> or <see cref="Timeout(TimeSpan)"/>.
/// </summary>
public abstract class Guard
{
    private protected Guard()
    {
    }

    /// <summary>
    /// Whether the guard takes part in the next selection (PyCSP's guard conditions); <see langword="true"/> by
    /// default. A selection whose guards are all disabled throws instead of waiting for ever.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The channel of a channel guard; <see langword="null"/> for skip and timeout.</summary>
    internal virtual CspChannel? Channel => null;

    /// <summary>Whether the guard reads its channel (an input guard).</summary>
    internal virtual bool Reads => false;

    /// <summary>Makes a guard that is always ready: chosen when no guard before it (in priority order) is ready.</summary>
    /// <returns>The guard.</returns>
    public static SkipGuard Skip() => new();

    /// <summary>Makes a guard chosen when no other guard became ready within <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long a selection waits for another guard.</param>
    /// <returns>The guard.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public static TimeoutGuard Timeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        return new TimeoutGuard(timeout);
    }

    /// <summary>Tries the guard's operation now, holding its channel's lock; outcomes as <see cref="CspChannel{T}.TryReadLocked"/>.</summary>
    internal virtual int TryLocked(out object? value)
    {
        value = null;
        return Selection.Waiting;
    }

    /// <summary>Leaves a waiting offer on the channel, holding its lock.</summary>
    internal virtual Offer? Register(Selection selection, int index) => null;

    /// <summary>The value of a matched offer (an input guard's read value), after it was withdrawn.</summary>
    internal virtual object? Taken(Offer offer) => null;

    /// <summary>Throws when the guard's own end retired.</summary>
    internal virtual void ThrowIfEndRetired()
    {
    }
}

/// <summary>An input guard: chosen when its end can read; the value read is <see cref="Choice.Value"/>.</summary>
/// <typeparam name="T">The channel's value type.</typeparam>
public sealed class InputGuard<T> : Guard
{
    internal InputGuard(ChannelIn<T> end)
    {
        End = end;
    }

    /// <summary>The end it reads from.</summary>
    public ChannelIn<T> End { get; }

    internal override CspChannel? Channel => End.Channel;

    internal override bool Reads => true;

    internal override int TryLocked(out object? value)
    {
        int outcome = End.Channel.TryReadAnyLocked(out T read);
        value = read;
        return outcome;
    }

    internal override Offer? Register(Selection selection, int index) => End.Channel.OfferRead(selection, index);

    internal override object? Taken(Offer offer) => offer.Boxed;

    internal override void ThrowIfEndRetired()
    {
        End.BeginOperation();
    }
}

/// <summary>An output guard: chosen when a reader can take <see cref="Value"/>, which is then written.</summary>
/// <typeparam name="T">The channel's value type.</typeparam>
public sealed class OutputGuard<T> : Guard
{
    internal OutputGuard(ChannelOut<T> end, T value)
    {
        End = end;
        Value = value;
    }

    /// <summary>The end it writes to.</summary>
    public ChannelOut<T> End { get; }

    /// <summary>The value offered; may be changed between selections.</summary>
    public T Value { get; set; }

    internal override CspChannel? Channel => End.Channel;

    internal override int TryLocked(out object? value)
    {
        value = null;
        return End.Channel.TryWriteAnyLocked(Value);
    }

    internal override Offer? Register(Selection selection, int index) => End.Channel.OfferWrite(selection, index, Value);

    internal override void ThrowIfEndRetired()
    {
        End.BeginOperation();
    }
}

/// <summary>A guard that is always ready (PyCSP's <c>Skip</c>); see <see cref="Guard.Skip"/>.</summary>
public sealed class SkipGuard : Guard
{
    internal SkipGuard()
    {
    }
}

/// <summary>A guard chosen when nothing else became ready in time (PyCSP's <c>Timeout</c>); see <see cref="Guard.Timeout(TimeSpan)"/>.</summary>
public sealed class TimeoutGuard : Guard
{
    internal TimeoutGuard(TimeSpan timeout)
    {
        Duration = timeout;
    }

    /// <summary>How long a selection waits for another guard.</summary>
    public TimeSpan Duration { get; }
}

/// <summary>What an <see cref="Alternation"/> chose.</summary>
public sealed class Choice
{
    internal Choice(Guard guard, int index, object? value)
    {
        Guard = guard;
        Index = index;
        Value = value;
    }

    /// <summary>The chosen guard.</summary>
    public Guard Guard { get; }

    /// <summary>Its position among the guards given to the <see cref="Alternation"/>.</summary>
    public int Index { get; }

    /// <summary>For an input guard, the value read; <see langword="null"/> otherwise.</summary>
    public object? Value { get; }

    /// <summary>The value read by an input guard, typed.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidCastException">The value is not a <typeparamref name="T"/>.</exception>
    public T ValueAs<T>() => (T)Value!;

    /// <inheritdoc/>
    public override string ToString() => $"guard {Index} ({Guard.GetType().Name}){(Value is null ? string.Empty : ": " + Value)}";
}
