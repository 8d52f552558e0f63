using System;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.CspRuntime;

/// <summary>
/// One waiting read, write or alternation: the offers it left on its channels all point here, and whoever
/// completes it first (a matching reader or writer, a poisoner, its timeout, its cancellation) claims it with
/// one compare-and-swap. That claim is what makes a guard that was not chosen never consume a message: a
/// channel hands a value over only to an offer whose selection it has just claimed, holding its own lock.
/// </summary>
internal sealed class Selection
{
    /// <summary>Nothing has claimed it yet.</summary>
    public const int Waiting = -1;

    /// <summary>Claimed by a poisoned channel.</summary>
    public const int Poisoned = -2;

    /// <summary>Claimed by a channel whose other side retired.</summary>
    public const int Retired = -3;

    /// <summary>Claimed by the waiter's cancellation token.</summary>
    public const int Cancelled = -4;

    /// <summary>Claimed by the waiter's timeout guard.</summary>
    public const int TimedOut = -5;

    private readonly TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _outcome = Waiting;

    /// <summary>The guard index that was chosen, or one of the negative outcomes; <see cref="Waiting"/> until claimed.</summary>
    public int Outcome => Volatile.Read(ref _outcome);

    /// <summary>The channel's name, for the exception of a <see cref="Poisoned"/> or <see cref="Retired"/> outcome.</summary>
    public string? FailedChannel { get; private set; }

    /// <summary>Completes when the claimer has finished its part (handed the value over).</summary>
    public Task Signaled => _signal.Task;

    /// <summary>Claims the selection for <paramref name="outcome"/>; false when someone else claimed it first.</summary>
    public bool TryClaim(int outcome) => Interlocked.CompareExchange(ref _outcome, outcome, Waiting) == Waiting;

    /// <summary>Claims the selection for a failure of channel <paramref name="channel"/> and signals it.</summary>
    public bool TryFail(int outcome, string channel)
    {
        if (!TryClaim(outcome))
        {
            return false;
        }

        FailedChannel = channel;
        Signal();
        return true;
    }

    /// <summary>Wakes the waiter; called by the claimer once the value has moved.</summary>
    public void Signal() => _signal.TrySetResult();

    /// <summary>Blocks until signaled, or until <paramref name="timeoutMilliseconds"/> pass (-1: no limit) or the token is cancelled; then claims the outcome if still unclaimed.</summary>
    public void Wait(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        if (!_signal.Task.IsCompleted)
        {
            bool signaled;
            try
            {
                signaled = _signal.Task.Wait(timeoutMilliseconds, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                signaled = false;
            }

            if (!signaled)
            {
                int outcome = cancellationToken.IsCancellationRequested ? Cancelled : TimedOut;
                if (TryClaim(outcome))
                {
                    Signal();
                    return;
                }

                // Someone claimed it first: they are moving the value now; wait for them to finish.
                _signal.Task.Wait(CancellationToken.None);
            }
        }
    }

    /// <summary>The async form of <see cref="Wait"/>.</summary>
    public async ValueTask WaitAsync(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        if (_signal.Task.IsCompleted)
        {
            return;
        }

        try
        {
            await (timeoutMilliseconds < 0 ? _signal.Task.WaitAsync(cancellationToken) : _signal.Task.WaitAsync(TimeSpan.FromMilliseconds(timeoutMilliseconds), cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            int outcome = cancellationToken.IsCancellationRequested ? Cancelled : TimedOut;
            if (TryClaim(outcome))
            {
                Signal();
                return;
            }

            await _signal.Task.ConfigureAwait(false);
        }
    }
}

/// <summary>A waiting read or write left on one channel; <see cref="Selection"/> says whether it is still wanted.</summary>
internal abstract class Offer(Selection selection, int guardIndex)
{
    /// <summary>The waiter this offer belongs to.</summary>
    public Selection Selection { get; } = selection;

    /// <summary>The guard index the waiter's selection takes when this offer is the one matched.</summary>
    public int GuardIndex { get; } = guardIndex;

    /// <summary>Removes the offer from its channel's queue if it is still there.</summary>
    public abstract void Withdraw();
}
