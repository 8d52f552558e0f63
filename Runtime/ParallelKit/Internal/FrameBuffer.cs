using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MemoryPack;

namespace ParallelKit.Internal;

/// <summary>
/// A growable, reusable byte buffer that frames are built in. Backed by <see cref="ArrayPool{T}"/>;
/// not thread-safe: one owner at a time.
/// </summary>
internal sealed class FrameBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public FrameBuffer(int initialCapacity = 4096)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    }

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Clear() => _written = 0;

    /// <summary>Drops everything after <paramref name="length"/> bytes (undoes a partly written record).</summary>
    public void Truncate(int length) => _written = length;

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_written++] = value;
    }

    public void WriteInt32(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_written), value);
        _written += 4;
    }

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_written), value);
        _written += 8;
    }

    public void WriteUInt64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_written), value);
        _written += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_written));
        _written += bytes.Length;
    }

    /// <summary>Reserves four bytes for a length written later with <see cref="PatchInt32"/>.</summary>
    public int ReserveInt32()
    {
        Ensure(4);
        int at = _written;
        _written += 4;
        return at;
    }

    public void PatchByte(int offset, byte value) => _buffer[offset] = value;

    /// <summary>The written bytes from <paramref name="offset"/> on, to patch a header reserved earlier.</summary>
    public Span<byte> GetSpanAt(int offset) => _buffer.AsSpan(offset, _written - offset);

    public void PatchInt64(int offset, long value)
        => BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(offset), value);

    /// <summary>Reserves <paramref name="count"/> bytes to patch later; returns their offset.</summary>
    public int Reserve(int count)
    {
        Ensure(count);
        int at = _written;
        _written += count;
        return at;
    }

    public void PatchInt32(int offset, int value)
        => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), value);

    /// <summary>Serializes one value at the end of the buffer, the way <see cref="JobWriter.Write{T}"/> does.</summary>
    public void Write<T>(T value)
    {
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            int size = Unsafe.SizeOf<T>();
            Ensure(size);
            Unsafe.WriteUnaligned(ref _buffer[_written], value);
            _written += size;
            return;
        }

        var self = this;
        using var state = MemoryPackWriterOptionalStatePool.Rent(null);
        var writer = new JobWriter(ref self, state);
        writer.Write(value);
        writer.Flush();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer.Length - _written < sizeHint)
        {
            Grow(sizeHint);
        }
    }

    private void Grow(int sizeHint)
    {
        long needed = (long)_written + sizeHint;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException("A ParallelKit frame cannot exceed 2 GiB.");
        }

        int newSize = (int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buffer.Length * 2));
        byte[] next = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
