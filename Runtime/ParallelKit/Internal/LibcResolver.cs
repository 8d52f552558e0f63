using System;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace ParallelKit.Internal;

/// <summary>
/// Resolves ParallelKit's <c>libc</c> imports to the C library the process already has loaded. The runtime's
/// default probing for "libc" tries several file names (<c>libc.so</c> is a linker script) before it finds one,
/// about a millisecond of every worker's start-up.
/// </summary>
internal static class LibcResolver
{
    private static int s_installed;

    /// <summary>Installs the resolver once per process; a no-op off Linux or where another one is installed.</summary>
    public static void Install()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_installed, 1) != 0)
        {
            return;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(LibcResolver).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // A resolver is already set for this assembly: the default probing still works.
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        => libraryName == "libc" ? NativeLibrary.GetMainProgramHandle() : 0;
}
