using System.Threading;
using ParallelKit.Sync;

namespace ParallelKit.SharedMemory;

/// <summary>
/// The header at the start of every shared-memory segment, 64 bytes, little-endian:
/// <code>
///  offset  size  field
///   0       4    magic "PKSM" — written last, so a reader that sees it sees the rest
///   4       4    layout version (1)
///   8       8    data size, in bytes
///  16       8    type tag (SharedSegment.TypeTag: what the data holds)
///  24       4    creator's pid
///  28       4    (unused)
///  32       8    creator's start time (with the pid: who created it, even after pid reuse)
///  40       8    (unused)
///  48      16    the segment's robust lock (RobustLock: owner thread, pid, recursion, start stamp)
///  64       …    the data
/// </code>
/// </summary>
internal static unsafe class SegmentHeader
{
    /// <summary>The header's size: where the data starts, aligned for any value and for SIMD.</summary>
    public const int Size = 64;

    public const int MagicAt = 0;
    public const int VersionAt = 4;
    public const int DataSizeAt = 8;
    public const int TypeTagAt = 16;
    public const int CreatorPidAt = 24;
    public const int CreatorStartTimeAt = 32;
    public const int LockAt = 48;

    /// <summary>What <see cref="Check"/> says of a segment of the right layout holding another type.</summary>
    public const string WrongType = "type";

    /// <summary>"PKSM".</summary>
    private const uint Magic = 0x4D53_4B50;
    private const int LayoutVersion = 1;

    /// <summary>Fills in a new segment's header (its file is zeroed), the magic last.</summary>
    public static void Write(byte* header, long dataSize, ulong typeTag)
    {
        *(long*)(header + DataSizeAt) = dataSize;
        *(ulong*)(header + TypeTagAt) = typeTag;
        *(int*)(header + CreatorPidAt) = System.Environment.ProcessId;
        *(long*)(header + CreatorStartTimeAt) = OwnerIdentity.StartTime;
        *(int*)(header + VersionAt) = LayoutVersion;
        Volatile.Write(ref *(uint*)(header + MagicAt), Magic);
    }

    /// <summary>
    /// Checks an opened segment of <paramref name="length"/> bytes: null when it is complete, of this layout and
    /// holds <paramref name="typeTag"/>; <see cref="WrongType"/> when only the type differs; else what is wrong.
    /// </summary>
    public static string? Check(byte* header, long length, ulong typeTag)
    {
        if (Volatile.Read(ref *(uint*)(header + MagicAt)) != Magic
            || *(int*)(header + VersionAt) != LayoutVersion
            || Size + *(long*)(header + DataSizeAt) > length)
        {
            return "layout";
        }

        return *(ulong*)(header + TypeTagAt) == typeTag ? null : WrongType;
    }
}
