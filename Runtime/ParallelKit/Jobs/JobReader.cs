using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using MemoryPack;

namespace ParallelKit;

/// <summary>
/// Reads a job's marshaled arguments (in a worker) or its result (in the parent), in the order
/// <see cref="JobWriter"/> wrote them. Used by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct JobReader
{
    private readonly MemoryPackReaderOptionalState _state;
    private MemoryPackReader _inner;

    internal JobReader(ReadOnlySpan<byte> data)
    {
        _state = MemoryPackReaderOptionalStatePool.Rent(null);
        _inner = new MemoryPackReader(data, _state);
    }

    /// <summary>Reads the next value.</summary>
    /// <typeparam name="T">The parameter's type.</typeparam>
    /// <returns>The value; <see langword="null"/> only where <see langword="null"/> was written.</returns>
    public T Read<T>()
    {
        // Mirrors JobWriter.Write: raw memory for values without references, strings directly.
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            _inner.DangerousReadUnmanaged(out T value);
            return value;
        }

        if (typeof(T) == typeof(string))
        {
            return (T)(object?)_inner.ReadString()!;
        }

        SharedMemory.HandleTypes.Ensure<T>();
        return _inner.ReadValue<T>()!;
    }

    internal readonly int Consumed => _inner.Consumed;

    internal readonly void Dispose() => ((IDisposable)_state).Dispose();
}
