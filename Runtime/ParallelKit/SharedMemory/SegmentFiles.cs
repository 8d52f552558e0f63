using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using ParallelKit.Sync;

namespace ParallelKit.SharedMemory;

/// <summary>
/// The files behind shared-memory segments: where they live, how they are named, which this process owns (and
/// removes when it exits), and the sweep that removes those of owners that died without removing them.
/// </summary>
/// <remarks>
/// A segment is <c>parallelkit-{pid}-{start time}-{pid namespace}-{16 random hex digits}</c>, and a part of an
/// object (a queue's chunk) that name then <c>-{slot}</c>. The creator's identity in the name lets any later
/// process judge whether the owner is gone; the random part makes names nobody can predict or pre-empt.
/// </remarks>
internal static class SegmentFiles
{
    private const string Prefix = "parallelkit-";

    private static readonly ConcurrentDictionary<string, byte> s_owned = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, byte> s_ownedParts = new(StringComparer.Ordinal);
    private static int s_swept;
    private static int s_exitHooked;

    /// <summary>The directory the segments' files live in: <c>/dev/shm</c> where it exists (memory, not disk).</summary>
    public static string Directory { get; } = System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    /// <summary>The path of the segment file <paramref name="name"/>.</summary>
    public static string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>A new segment name for an object this process creates.</summary>
    public static string NewName()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{Environment.ProcessId}-{OwnerIdentity.StartTime}-{OwnerIdentity.PidNamespace}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");

    /// <summary>The name of part <paramref name="index"/> of <paramref name="ownerName"/>.</summary>
    public static string PartName(string ownerName, long index) => string.Create(CultureInfo.InvariantCulture, $"{ownerName}-{index}");

    /// <summary>Whether <paramref name="name"/> has the form of a segment's name (a handle from elsewhere is checked before use).</summary>
    public static bool IsSegmentName(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal) || name.Length > 100)
        {
            return false;
        }

        foreach (char c in name.AsSpan(Prefix.Length))
        {
            if (!(char.IsAsciiDigit(c) || c is '-' || char.IsAsciiHexDigitLower(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Has this process remove <paramref name="name"/> when it exits (it created the segment).</summary>
    public static void Own(string name)
    {
        HookExit();
        s_owned.TryAdd(name, 0);
    }

    /// <summary>Has this process remove the parts of <paramref name="ownerName"/> when it exits (it owns that object).</summary>
    public static void OwnParts(string ownerName)
    {
        HookExit();
        s_ownedParts.TryAdd(ownerName, 0);
    }

    /// <summary>Removes a segment's file; mappings of it stay valid.</summary>
    public static void Unlink(string name)
    {
        s_owned.TryRemove(name, out _);
        try
        {
            File.Delete(PathOf(name));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Already gone, or not ours.
        }
    }

    /// <summary>Removes a part's file (its object no longer needs it); mappings of it stay valid.</summary>
    public static void RemovePart(string ownerName, long index) => Unlink(PartName(ownerName, index));

    /// <summary>Removes every part of <paramref name="ownerName"/> (its owner disposes the object).</summary>
    public static void RemoveParts(string ownerName)
    {
        s_ownedParts.TryRemove(ownerName, out _);
        try
        {
            foreach (string path in System.IO.Directory.EnumerateFiles(Directory, ownerName + "-*"))
            {
                Unlink(Path.GetFileName(path));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort; the sweep after this process's exit gets the rest.
        }
    }

    /// <summary>Removes the files of every segment this process owns (it is exiting; mappings stay valid meanwhile).</summary>
    public static void UnlinkOwned()
    {
        foreach (string name in s_owned.Keys)
        {
            Unlink(name);
        }

        foreach (string name in s_ownedParts.Keys)
        {
            RemoveParts(name);
        }
    }

    /// <summary>
    /// Removes, once per process, the segments whose owner is gone: the pid in the name no longer runs, or
    /// runs a process that started at another time (the pid was reused). Python leaks these (cpython#116849).
    /// Only owners in this process's pid namespace (also in the name) can be judged: a segment of another
    /// namespace's process (a container sharing /dev/shm) is never touched, nor one named the older way,
    /// without a namespace.
    /// </summary>
    public static void RemoveSegmentsOfDeadOwners()
    {
        if (Interlocked.Exchange(ref s_swept, 1) != 0 || !OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            foreach (string path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*"))
            {
                string name = Path.GetFileName(path);
                string[] parts = name[Prefix.Length..].Split('-');
                // {pid}-{start}-{pid namespace}-{random}, and …-{slot} for the parts of an object. (Names of
                // older builds, {pid}-{start}-{random}[-{index}], have the 16-digit random third: left alone.)
                if (parts.Length is 4 or 5
                    && parts[2].Length < 16
                    && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                    && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long started)
                    && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long pidNamespace)
                    && OwnerIdentity.IsCertainlyDead(pid, started, pidNamespace))
                {
                    Unlink(name);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next process tries again.
        }
    }

    private static void HookExit()
    {
        if (Interlocked.Exchange(ref s_exitHooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += static (_, _) => UnlinkOwned();
        }
    }
}
