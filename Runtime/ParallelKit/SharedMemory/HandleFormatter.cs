using System;
using MemoryPack;

namespace ParallelKit.SharedMemory;

/// <summary>
/// Marshals a shared object by handle: its name crosses, and the receiver opens the same object (or finds
/// the one it already has). Registered by each handle type's <c>IMemoryPackFormatterRegister.RegisterFormatter</c>,
/// which MemoryPack calls the first time it meets the type in any position (argument, array element, field).
/// </summary>
internal sealed class HandleFormatter<T>(Func<string, T> open) : MemoryPackFormatter<T>
    where T : class, IMarshalByHandle
{
    public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref T? value)
        => writer.WriteString(value?.HandleName);

    public override void Deserialize(ref MemoryPackReader reader, scoped ref T? value)
    {
        string? handle = reader.ReadString();
        value = handle is null ? null : open(handle);
    }
}
