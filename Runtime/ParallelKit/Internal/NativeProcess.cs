using System;
using System.Runtime.InteropServices;

namespace ParallelKit.Internal;

/// <summary>The few process calls .NET has no API for.</summary>
internal static partial class NativeProcess
{
    /// <summary>
    /// Ends a single-job process the way Python's multiprocessing does (<c>os._exit</c> after the target
    /// returns): at once, without the runtime's shutdown, which costs tens of milliseconds. Standard output
    /// and error must be flushed first.
    /// </summary>
    public static void Exit(int exitCode)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _exit(exitCode);
        }

        Environment.Exit(exitCode);
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

    /// <summary>The parent's pid, as the kernel sees it now (1, or a subreaper's, once the parent has died).</summary>
    public static int ParentProcessId() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? getppid() : -1;

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void _exit(int status);

    [LibraryImport("libc")]
    private static partial int getppid();
}
