using System;
using MemoryPack;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>
/// <see cref="QueueItemCodec"/>'s byte arrays are MemoryPack's own: a queue item written by the direct path reads back
/// through MemoryPack and the other way round, so both paths may meet in one queue (PutAsync marshals with MemoryPack).
/// </summary>
public sealed class QueueItemCodecTests
{
    public static TheoryData<int> Lengths => [-1, 0, 1, 7, 64, 65_536];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void A_byte_array_is_written_as_MemoryPack_writes_it(int length)
    {
        byte[]? bytes = length < 0 ? null : Filled(length);
        byte[] expected = MemoryPackSerializer.Serialize(bytes);

        byte[] written = new byte[QueueItemCodec.BytesPrefix + (bytes?.Length ?? 0)];
        QueueItemCodec.WriteBytesPrefix(written, bytes);
        bytes?.CopyTo(written, QueueItemCodec.BytesPrefix);

        Assert.Equal(expected, written);
        Assert.True(QueueItemCodec.TryReadBytes(expected, out byte[]? read));
        Assert.Equal(bytes, read);
    }

    [Fact]
    public void Numbers_and_enums_are_written_as_MemoryPack_writes_them()
    {
        AssertRaw(-123456789);
        AssertRaw(long.MinValue + 7);
        AssertRaw(3.25);
        AssertRaw(1.5f);
        AssertRaw(true);
        AssertRaw((byte)200);
        AssertRaw('é');
        AssertRaw(DayOfWeek.Friday);
        AssertRaw((nint)42);
        Assert.False(QueueItemCodec.IsRaw<(int, long)>()); // an unmanaged struct is left to MemoryPack
        Assert.False(QueueItemCodec.IsRaw<decimal>());
        Assert.False(QueueItemCodec.IsRaw<string>());
    }

    [Fact]
    public async System.Threading.Tasks.Task Numbers_come_out_of_a_queue_as_they_went_in_whichever_path_put_them()
    {
        using var queue = new ProcessQueue<long>();
        queue.Put(long.MaxValue);
        await queue.PutAsync(-5); // marshaled by MemoryPack
        using var days = new ProcessQueue<DayOfWeek>();
        days.Put(DayOfWeek.Sunday);

        Assert.Equal(long.MaxValue, queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Equal(-5, queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Equal(DayOfWeek.Sunday, days.Get(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Bytes_that_are_not_exactly_one_byte_array_are_left_to_MemoryPack()
    {
        byte[] item = MemoryPackSerializer.Serialize(Filled(8));
        Assert.False(QueueItemCodec.TryReadBytes(item.AsSpan(0, 3), out _)); // shorter than the length
        Assert.False(QueueItemCodec.TryReadBytes(item.AsSpan(0, item.Length - 1), out _)); // a length past the end
        Assert.False(QueueItemCodec.TryReadBytes([.. item, 0], out _)); // bytes after the array
        Assert.False(QueueItemCodec.TryReadBytes([0xFE, 0xFF, 0xFF, 0xFF], out _)); // a negative length other than null's
    }

    [Fact]
    public async System.Threading.Tasks.Task Byte_arrays_put_either_way_come_out_of_a_queue_in_order()
    {
        using var queue = new ProcessQueue<byte[]>();
        queue.Put(Filled(64));
        await queue.PutAsync(Filled(3)); // marshaled by MemoryPack
        queue.Put(null!);
        queue.Put([]);
        queue.Put(Filled(2 << 20)); // a chunk of its own

        Assert.Equal(Filled(64), queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Equal(Filled(3), queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Null(queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Empty(queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Equal(Filled(2 << 20), queue.Get(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, queue.Count);
    }

    private static void AssertRaw<T>(T value)
        where T : struct
    {
        Assert.True(QueueItemCodec.IsRaw<T>());
        byte[] memory = System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value)).ToArray();
        Assert.Equal(MemoryPackSerializer.Serialize(value), memory);
    }

    private static byte[] Filled(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31);
        }

        return bytes;
    }
}
