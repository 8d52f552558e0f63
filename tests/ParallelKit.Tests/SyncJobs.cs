using System;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Tests;

/// <summary>Jobs over cross-process synchronization objects, passed by handle.</summary>
public static partial class SyncJobs
{
    /// <summary>Takes the lock and dies holding it.</summary>
    [ParallelJob(Retry = false)]
    public static void DieHolding(ProcessLock held)
    {
        _ = held.Acquire();
        Environment.FailFast("dies holding a ProcessLock (expected by the test)");
    }

    /// <summary>Answers each ping with a pong, <paramref name="rounds"/> times.</summary>
    [ParallelJob]
    public static int Pong(ProcessSemaphore ping, ProcessSemaphore pong, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            if (!ping.Wait(TimeSpan.FromSeconds(30)))
            {
                return i;
            }

            pong.Release();
        }

        return rounds;
    }

    /// <summary>Waits for the event, then sets the other.</summary>
    [ParallelJob]
    public static bool Relay(ProcessEvent wait, ProcessEvent then)
    {
        bool set = wait.Wait(TimeSpan.FromSeconds(30));
        then.Set();
        return set;
    }

    /// <summary>Says it is about to wait, then waits for the event; whether the wait ended by the event (not the time-out).</summary>
    [ParallelJob]
    public static bool WaitForPulse(ProcessEvent pulse, ProcessEvent started)
    {
        started.Set();
        return pulse.Wait(TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits on the condition until the shared value reaches <paramref name="target"/>, then doubles it.</summary>
    [ParallelJob]
    public static long WaitThenDouble(ProcessCondition condition, SharedValue<long> value, long target)
    {
        using (condition.Acquire())
        {
            if (!condition.WaitFor(() => value.Value >= target, TimeSpan.FromSeconds(30)))
            {
                return -1;
            }

            value.Update(v => v * 2);
            condition.NotifyAll();
            return value.Value;
        }
    }

    /// <summary>Meets the others at the barrier, three rounds, adding to a counter between rounds.</summary>
    [ParallelJob]
    public static int MeetThrice(ProcessBarrier barrier, SharedValue<int> counter)
    {
        int indexSum = 0;
        for (int round = 0; round < 3; round++)
        {
            counter.Update(c => c + 1);
            indexSum += barrier.SignalAndWait(TimeSpan.FromSeconds(30));
        }

        return indexSum;
    }

    /// <summary>Prints a line holding the lock (the seed's Lock example).</summary>
    [ParallelJob]
    public static void Print(ProcessLock printLock, int i)
    {
        using (printLock.Acquire())
        {
            Console.WriteLine($"hello world {i}");
        }
    }

    /// <summary>Takes the lock, says so, and holds it until killed.</summary>
    [ParallelJob(Retry = false)]
    public static void HoldUntilKilled(ProcessLock held, ProcessEvent holding)
    {
        _ = held.Acquire();
        holding.Set();
        Thread.Sleep(TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// Starts a foreground thread that sets <paramref name="done"/> after <paramref name="delayMilliseconds"/>, and a
    /// background thread that never ends, then returns at once.
    /// </summary>
    [ParallelJob]
    public static void SetLaterFromForegroundThread(ProcessEvent done, int delayMilliseconds)
    {
        System.Threading.Thread setter = new(() =>
        {
            System.Threading.Thread.Sleep(delayMilliseconds);
            done.Set();
        });
        setter.IsBackground = false;
        setter.Start();
        new System.Threading.Thread(() => System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite)) { IsBackground = true }.Start();
    }

    /// <summary>Sets <paramref name="started"/>, waits for cancellation, and sets <paramref name="cleanedUp"/> on its way out.</summary>
    [ParallelJob]
    public static async Task WaitForTerminate(ProcessEvent started, ProcessEvent cleanedUp, System.Threading.CancellationToken cancellationToken)
    {
        try
        {
            started.Set();
            await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
        }
        finally
        {
            cleanedUp.Set();
        }
    }

    /// <summary>Stores the parent's pid as this process sees it (-1: none).</summary>
    [ParallelJob]
    public static void ReportParent(SharedValue<int> parent) => parent.Value = ParallelProcess.ParentProcessId ?? -1;

    /// <summary>A barrier action: adds one to the count of completed rounds.</summary>
    [ParallelJob]
    public static void CountRound(SharedValue<int> rounds) => rounds.Update(r => r + 1);

    /// <summary>
    /// Meets the others <paramref name="rounds"/> times; after each release checks that the action of that round has
    /// run, and counts in <paramref name="early"/> the releases that came before it.
    /// </summary>
    [ParallelJob]
    public static void MeetAndCheckAction(ProcessBarrier barrier, SharedValue<int> actions, SharedValue<int> early, int rounds)
    {
        for (int round = 1; round <= rounds; round++)
        {
            barrier.SignalAndWait(TimeSpan.FromSeconds(60));
            if (actions.Value < round)
            {
                early.Update(e => e + 1);
            }

            // All leave round r before anyone's action of round r + 1 can run: the next round needs every party.
        }
    }

    /// <summary>Releases the semaphore once.</summary>
    [ParallelJob]
    public static void ReleaseOnce(ProcessSemaphore semaphore) => semaphore.Release();

    /// <summary>Sets the event.</summary>
    [ParallelJob]
    public static void SetEvent(ProcessEvent e) => e.Set();

    /// <summary>Meets the other party at the barrier once.</summary>
    [ParallelJob]
    public static int MeetOnce(ProcessBarrier barrier) => barrier.SignalAndWait(TimeSpan.FromSeconds(60));

    /// <summary>Sets the value and notifies every waiter, holding the condition's lock.</summary>
    [ParallelJob]
    public static void SetAndNotify(ProcessCondition condition, SharedValue<long> value, long set)
    {
        using (condition.Acquire())
        {
            value.Value = set;
            condition.NotifyAll();
        }
    }
}
