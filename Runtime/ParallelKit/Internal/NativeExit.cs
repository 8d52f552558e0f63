using System;
using System.Runtime.InteropServices;

namespace ParallelKit.Internal;

/// <summary>
/// Ends a single-job process the way Python's multiprocessing does (<c>os._exit</c> after the target
/// returns): at once, without the runtime's shutdown, which costs tens of milliseconds. Standard output
/// and error must be flushed first.
/// </summary>
internal static partial class NativeExit
{
    public static void Exit(int exitCode)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _exit(exitCode);
        }

        Environment.Exit(exitCode);
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void _exit(int status);
}
