using System;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Sync;

/// <summary>
/// The async form of the cross-process waits. A wait that can be satisfied at once completes synchronously and
/// costs no thread. Otherwise the wait is a futex wait in the kernel, which no .NET awaitable can stand for, so
/// a dedicated background thread waits in slices of <see cref="SliceMilliseconds"/> (cancellation is seen
/// within one slice) and completes the task; the caller's thread is free meanwhile, as with
/// <c>SemaphoreSlim.WaitAsync</c>.
/// </summary>
internal static class AsyncWait
{
    /// <summary>The longest a pending wait goes without looking at its cancellation token.</summary>
    public const int SliceMilliseconds = 50;

    /// <summary>
    /// Waits with <paramref name="tryWait"/> (a blocking wait of at most the given milliseconds, 0 for a try,
    /// true when it succeeded) until it succeeds, <paramref name="timeoutMilliseconds"/> pass (false; negative
    /// for no limit), or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static Task<bool> Run(Func<int, bool> tryWait, int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        if (tryWait(0))
        {
            return Task.FromResult(true);
        }

        if (timeoutMilliseconds == 0)
        {
            return Task.FromResult(false);
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = new Thread(() =>
        {
            Deadline deadline = Deadline.After(timeoutMilliseconds);
            try
            {
                while (true)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        done.TrySetCanceled(cancellationToken);
                        return;
                    }

                    int slice = deadline.Slice(SliceMilliseconds);
                    if (slice == 0)
                    {
                        done.TrySetResult(false);
                        return;
                    }

                    if (tryWait(slice))
                    {
                        done.TrySetResult(true); // succeeded: it counts even if cancellation came meanwhile, as SemaphoreSlim's does
                        return;
                    }
                }
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "ParallelKit async wait",
        };
        waiter.Start();
        return done.Task;
    }

    /// <summary>Gives <paramref name="result"/> once <paramref name="waiting"/> completes; runs <paramref name="onCanceled"/> first if it was cancelled.</summary>
    public static async Task<T> ThenOnCancel<T>(Task waiting, T result, Action onCanceled)
    {
        try
        {
            await waiting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            onCanceled();
            throw;
        }

        return result;
    }

    /// <summary>The result of a wait that has no time limit, which therefore never gives <see langword="null"/>.</summary>
    public static async Task<T> NotNull<T>(Task<T?> waiting)
        where T : class
        => (await waiting.ConfigureAwait(false))!;
}
