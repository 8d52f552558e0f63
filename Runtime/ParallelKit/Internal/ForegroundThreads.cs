using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace ParallelKit.Internal;

/// <summary>
/// Waits, as a .NET process does when <c>Main</c> returns, until no foreground thread but the caller runs: a
/// single-job process leaves through <c>_exit</c>, which would otherwise end a foreground thread its job
/// started (Python's multiprocessing joins non-daemon threads before a child exits, too).
/// </summary>
/// <remarks>
/// .NET has no API that lists threads or counts foreground ones. CoreCLR keeps the counts its own exit waits on
/// in its thread store, and publishes where they are in its data contract descriptor
/// (<c>DotNetRuntimeContractDescriptor</c>, the table the diagnostics tools read, exported by the runtime since
/// .NET 9): the store's address among the globals and the offsets of <c>ThreadCount</c>, <c>UnstartedCount</c>,
/// <c>BackgroundCount</c>, <c>PendingCount</c> and <c>DeadCount</c> among the types. This reads them in its own
/// process, the same sum CoreCLR's <c>ThreadStore::OtherThreadsComplete</c> makes. A runtime without the
/// descriptor (Native AOT, Mono) or with another layout is not waited for, as before.
/// </remarks>
internal static unsafe class ForegroundThreads
{
    private const ulong DescriptorMagic = 0x0043414443434e44UL; // "DNCCDAC\0"

    private static int s_resolved; // 0: not yet; 1: found; -1: not available
    private static byte* s_store;
    private static int s_threadCount;
    private static int s_unstarted;
    private static int s_background;
    private static int s_pending;
    private static int s_dead;

    /// <summary>Whether the thread counts could be found in this runtime.</summary>
    public static bool IsAvailable => Resolve();

    /// <summary>
    /// The foreground threads running now besides the caller, or -1 when this runtime does not say.
    /// </summary>
    public static int OthersRunning()
    {
        if (!Resolve())
        {
            return -1;
        }

        int running = Volatile.Read(ref *(int*)(s_store + s_threadCount))
            - Volatile.Read(ref *(int*)(s_store + s_unstarted))
            - Volatile.Read(ref *(int*)(s_store + s_dead))
            + Volatile.Read(ref *(int*)(s_store + s_pending));
        int foreground = running - Volatile.Read(ref *(int*)(s_store + s_background));
        return foreground - (Thread.CurrentThread.IsBackground ? 0 : 1);
    }

    /// <summary>Waits until the foreground threads other than the caller have ended (at once when there are none).</summary>
    public static void WaitForOthers()
    {
        int sleep = 1;
        while (OthersRunning() > 0)
        {
            // The runtime signals its own exit path, not us: poll, briefly at first (a thread about to end), then
            // every 20 ms (a thread with work left). Only a process whose job left foreground threads ever polls.
            Thread.Sleep(sleep);
            sleep = Math.Min(sleep * 2, 20);
        }
    }

    /// <summary>Finds the counts (once); a warm spare does it while it waits for its job.</summary>
    public static bool Resolve()
    {
        int resolved = Volatile.Read(ref s_resolved);
        if (resolved != 0)
        {
            return resolved > 0;
        }

        bool found;
        try
        {
            found = TryResolve();
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or ArgumentException or DllNotFoundException or BadImageFormatException or IOException)
        {
            found = false;
        }

        Volatile.Write(ref s_resolved, found ? 1 : -1);
        return found;
    }

    private static bool TryResolve()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.FrameworkDescription.StartsWith("Mono", StringComparison.Ordinal))
        {
            return false;
        }

        nint export = FindDescriptor();
        if (export == 0)
        {
            return false;
        }

        byte* descriptor = (byte*)export;
        if (*(ulong*)descriptor != DescriptorMagic)
        {
            return false;
        }

        uint size = *(uint*)(descriptor + 12);
        byte* json = *(byte**)(descriptor + 16);
        uint pointerCount = *(uint*)(descriptor + 24);
        nuint* pointers = *(nuint**)(descriptor + 32);
        if (json is null || pointers is null || size == 0 || size > 16 << 20)
        {
            return false;
        }

        var text = new ReadOnlySpan<byte>(json, (int)size);
        int types = text.IndexOf("\"types\":{"u8);
        int globals = text.IndexOf("\"globals\":{"u8);
        if (types < 0 || globals < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> storeType = ObjectAfter(text[types..], "\"ThreadStore\":{"u8);
        int index = GlobalIndex(text[globals..], "\"ThreadStore\":[["u8);
        if (storeType.IsEmpty || index < 0 || index >= pointerCount)
        {
            return false;
        }

        if (!(Field(storeType, "ThreadCount"u8, out s_threadCount) && Field(storeType, "UnstartedCount"u8, out s_unstarted)
            && Field(storeType, "BackgroundCount"u8, out s_background) && Field(storeType, "PendingCount"u8, out s_pending)
            && Field(storeType, "DeadCount"u8, out s_dead)))
        {
            return false;
        }

        // The global is the address of ThreadStore::s_pThreadStore, set once at start-up.
        byte** storeAddress = (byte**)pointers[index];
        if (storeAddress is null || *storeAddress is null)
        {
            return false;
        }

        s_store = *storeAddress;

        // Sanity: this thread runs, so at least one thread is counted, and no count is negative.
        int threads = *(int*)(s_store + s_threadCount);
        return threads >= 1 && threads < 1 << 20 && *(int*)(s_store + s_background) >= 0 && *(int*)(s_store + s_dead) >= 0;
    }

    private static nint FindDescriptor()
    {
        // A single-file or statically linked host exports it from the program itself; otherwise libcoreclr.so does.
        if (NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "DotNetRuntimeContractDescriptor", out nint export))
        {
            return export;
        }

        string coreclr = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libcoreclr.so");
        return File.Exists(coreclr) && NativeLibrary.TryLoad(coreclr, out nint library)
            && NativeLibrary.TryGetExport(library, "DotNetRuntimeContractDescriptor", out export)
            ? export
            : 0;
    }

    /// <summary>The text inside the braces after <paramref name="key"/> (no nested objects expected).</summary>
    private static ReadOnlySpan<byte> ObjectAfter(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        int at = text.IndexOf(key);
        if (at < 0)
        {
            return default;
        }

        ReadOnlySpan<byte> body = text[(at + key.Length)..];
        int end = body.IndexOf((byte)'}');
        return end < 0 ? default : body[..end];
    }

    /// <summary>The pointer-data index of a global written <c>"Name":[[index],"pointer"]</c>.</summary>
    private static int GlobalIndex(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        int at = text.IndexOf(key);
        return at < 0 ? -1 : Number(text[(at + key.Length)..]);
    }

    /// <summary>A field's offset, written <c>"Name":offset</c> or <c>"Name":[offset,"type"]</c>.</summary>
    private static bool Field(ReadOnlySpan<byte> type, ReadOnlySpan<byte> name, out int offset)
    {
        Span<byte> key = stackalloc byte[name.Length + 3];
        key[0] = (byte)'"';
        name.CopyTo(key[1..]);
        key[^2] = (byte)'"';
        key[^1] = (byte)':';
        int at = type.IndexOf(key);
        if (at < 0)
        {
            offset = -1;
            return false;
        }

        ReadOnlySpan<byte> value = type[(at + key.Length)..];
        if (!value.IsEmpty && value[0] == (byte)'[')
        {
            value = value[1..];
        }

        offset = Number(value);
        return offset >= 0 && offset < 1 << 16;
    }

    /// <summary>The decimal number at the start of <paramref name="text"/>; -1 when there is none.</summary>
    private static int Number(ReadOnlySpan<byte> text)
    {
        int value = 0;
        int digits = 0;
        while (digits < text.Length && digits < 9 && text[digits] is >= (byte)'0' and <= (byte)'9')
        {
            value = (value * 10) + (text[digits] - '0');
            digits++;
        }

        return digits == 0 ? -1 : value;
    }
}
