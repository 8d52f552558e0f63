using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace ParallelKit.Sync;

/// <summary>
/// Linux futexes on 32-bit words in shared memory: how processes sleep until a word changes and wake one
/// another, without spinning a core. Other systems poll with short sleeps (correct, slower).
/// </summary>
internal static unsafe partial class Futex
{
    private const int WaitOperation = 0; // FUTEX_WAIT, not private: the word may be shared between processes
    private const int WakeOperation = 1; // FUTEX_WAKE

    private static readonly long SystemCall = OperatingSystem.IsLinux()
        ? RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 202,
            Architecture.Arm64 or Architecture.LoongArch64 or Architecture.RiscV64 => 98,
            _ => -1,
        }
        : -1;

    /// <summary>Whether the kernel's futex is used (else waits poll).</summary>
    public static bool IsSupported => SystemCall > 0;

    /// <summary>
    /// Sleeps while <c>*word == expected</c>, for at most <paramref name="timeoutMilliseconds"/> (no limit when
    /// negative). Returns when woken, on time-out, on a signal, or at once when the word differs: callers
    /// always re-check the word.
    /// </summary>
    public static void Wait(int* word, int expected, int timeoutMilliseconds)
    {
        if (!IsSupported)
        {
            if (Volatile.Read(ref *word) == expected)
            {
                Thread.Sleep(timeoutMilliseconds is >= 0 and < 1 ? 0 : 1);
            }

            return;
        }

        if (timeoutMilliseconds < 0)
        {
            _ = syscall(SystemCall, word, WaitOperation, expected, null, null, 0);
            return;
        }

        var timeout = new Timespec
        {
            Seconds = timeoutMilliseconds / 1000,
            Nanoseconds = timeoutMilliseconds % 1000 * 1_000_000L,
        };
        _ = syscall(SystemCall, word, WaitOperation, expected, &timeout, null, 0);
    }

    /// <summary>Wakes up to <paramref name="count"/> threads, in any process, sleeping on <paramref name="word"/>.</summary>
    public static void Wake(int* word, int count)
    {
        if (IsSupported)
        {
            _ = syscall(SystemCall, word, WakeOperation, count, null, null, 0);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // syscall(2) is variadic in C; its integer arguments pass in the same registers as a fixed signature's.
    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long syscall(long number, int* word, int operation, int value, Timespec* timeout, int* word2, int value3);
}
