using System;
using System.Buffers;
using System.Buffers.Binary;

namespace ParallelKit;

/// <summary>
/// How a <see cref="ProcessQueue{T}"/> item's bytes are made and read back. Every item is in MemoryPack's format;
/// a byte array's and a number's are simple enough to write and read here directly, which spares a small put or get
/// the set-up of a MemoryPack writer or reader (the larger part of its cost). The record around the item is
/// <see cref="QueueLayout"/>'s.
/// <code>
///  byte[] item:          length (4, little-endian; -1 for null) · the bytes   (MemoryPack's own form of a byte array)
///  primitive or enum:    its memory, sizeof(T) bytes                          (MemoryPack's own form of an unmanaged value)
///  other items:          whatever MemoryPackSerializer.Serialize writes for them
/// </code>
/// </summary>
internal static class QueueItemCodec
{
    /// <summary>The bytes before a byte array's contents.</summary>
    public const int BytesPrefix = 4;

    private const int NullLength = -1;

    // A thread's buffer for marshaling items other than byte arrays. Here, not in the generic queue: a thread static
    // of a generic type shared by reference types is found through a run-time lookup on every access.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>This thread's empty buffer for one item (give it back with <see cref="Return"/>).</summary>
    public static ArrayBufferWriter<byte> Buffer
    {
        get
        {
            ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
            buffer.ResetWrittenCount();
            return buffer;
        }
    }

    /// <summary>Done with <see cref="Buffer"/>: a huge item's buffer is not kept per thread.</summary>
    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null;
        }
    }

    /// <summary>
    /// Whether a <typeparamref name="T"/> is written as its memory: primitives and enums only, whose MemoryPack form is
    /// that (a test holds it so); other unmanaged structs may have formatters of their own and are left to MemoryPack.
    /// </summary>
    public static bool IsRaw<T>() => typeof(T).IsPrimitive || typeof(T).IsEnum;

    /// <summary>Writes the <see cref="BytesPrefix"/> bytes before <paramref name="bytes"/>' contents.</summary>
    public static void WriteBytesPrefix(Span<byte> prefix, byte[]? bytes)
        => BinaryPrimitives.WriteInt32LittleEndian(prefix, bytes is null ? NullLength : bytes.Length);

    /// <summary>
    /// Reads a byte array written as <see cref="WriteBytesPrefix"/> and its contents; false when
    /// <paramref name="item"/> does not hold exactly that (the caller then lets MemoryPack read it, and fail as it does).
    /// </summary>
    public static bool TryReadBytes(ReadOnlySpan<byte> item, out byte[]? bytes)
    {
        bytes = null;
        if (item.Length < BytesPrefix)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(item);
        if (length == NullLength)
        {
            return item.Length == BytesPrefix;
        }

        if (length != item.Length - BytesPrefix)
        {
            return false;
        }

        bytes = length == 0 ? [] : item[BytesPrefix..].ToArray();
        return true;
    }
}
