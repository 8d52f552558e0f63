using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ParallelKit.Internal;

/// <summary>The few process calls .NET has no API for.</summary>
internal static partial class NativeProcess
{
    /// <summary>
    /// Ends a single-job process the way Python's multiprocessing does (<c>os._exit</c> after the target
    /// returns): at once, without the runtime's shutdown, which costs tens of milliseconds. Standard output
    /// and error must be flushed, and <see cref="ReleaseProcessResources"/> called, first.
    /// </summary>
    public static unsafe void Exit(int exitCode)
    {
        if (s_exit is not null)
        {
            s_exit(exitCode);
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _exit(exitCode);
        }

        Environment.Exit(exitCode);
    }

    /// <summary>
    /// What ProcessExit would do, for <see cref="Exit"/> to skip: shared memory this process owns goes with it,
    /// and so do the runtime's debugger and diagnostics files in the temp directory.
    /// </summary>
    public static void ReleaseProcessResources()
    {
        RuntimeIpcFiles.RemoveOwn();
        if (SharedMemory.SharedMemoryUse.SegmentsCreated)
        {
            SharedMemory.SegmentFiles.UnlinkOwned();
        }
    }

    /// <summary>
    /// Makes <see cref="Exit"/> cost nothing but the system call: <c>_exit</c> is looked up in the
    /// process's own symbols (no library probing) and the call site compiled, while a warm spare waits.
    /// </summary>
    public static unsafe void PrepareExit()
    {
        if (s_exit is null && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            && NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "_exit", out nint exit))
        {
            s_exit = (delegate* unmanaged<int, void>)exit;
        }

        RuntimeHelpers.PrepareMethod(typeof(NativeProcess).GetMethod(nameof(Exit))!.MethodHandle);
    }

    /// <summary>
    /// Kills a process and the processes it started (SIGKILL). A process that has exited meanwhile, or
    /// whose handle is already released, is not an error: the caller only wants it gone.
    /// </summary>
    public static void KillTree(System.Diagnostics.Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or AggregateException)
        {
            // Exited meanwhile, or already reaped.
        }
    }

    /// <summary>Sends SIGTERM to <paramref name="pid"/>; false when it is gone.</summary>
    public static bool SendTerminate(int pid) => (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && kill(pid, 15) == 0;

    /// <summary>The parent's pid, as the kernel sees it now (1, or a subreaper's, once the parent has died).</summary>
    public static int ParentProcessId() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? getppid() : -1;

    private static unsafe delegate* unmanaged<int, void> s_exit;

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void _exit(int status);

    [LibraryImport("libc")]
    private static partial int getppid();

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);
}
