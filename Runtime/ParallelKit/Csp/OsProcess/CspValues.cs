using System;
using System.Runtime.CompilerServices;
using MemoryPack;
using ParallelKit.SharedMemory;

namespace ParallelKit.CspRuntime;

/// <summary>Channel values as bytes, for ends used across OS processes: MemoryPack, like job arguments (shared objects by handle).</summary>
internal static class CspValues
{
    public static byte[] Serialize<T>(T value)
    {
        HandleTypes.Ensure<T>();
        return MemoryPackSerializer.Serialize(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Deserialize<T>(ReadOnlySpan<byte> bytes)
    {
        var reader = new JobReader(bytes);
        try
        {
            return reader.Read<T>();
        }
        finally
        {
            reader.Dispose();
        }
    }
}
