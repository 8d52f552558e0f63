using System.ComponentModel;
using System.Runtime.CompilerServices;
using MemoryPack;
using ParallelKit.Internal;

namespace ParallelKit;

/// <summary>
/// Writes a job's marshaled arguments. Used by generated code; values are written with MemoryPack
/// in parameter order and read back in the same order by <see cref="JobReader"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct JobWriter
{
    private MemoryPackWriter<FrameBuffer> _inner;

    internal JobWriter(ref FrameBuffer buffer, MemoryPackWriterOptionalState state)
    {
        _inner = new MemoryPackWriter<FrameBuffer>(ref buffer, state);
    }

    /// <summary>Writes one argument.</summary>
    /// <typeparam name="T">The parameter's type.</typeparam>
    /// <param name="value">The argument.</param>
    /// <remarks>
    /// Values without references (primitives, enums, unmanaged structs) are copied as raw memory and
    /// strings written directly: neither needs MemoryPack's formatter table, whose one-time set-up would
    /// otherwise delay a new worker's first job. Parent and worker run the same build, so raw layouts match.
    /// </remarks>
    public void Write<T>(scoped in T? value)
    {
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            _inner.DangerousWriteUnmanaged(in value);
        }
        else if (typeof(T) == typeof(string))
        {
            _inner.WriteString((string?)(object?)value);
        }
        else
        {
            SharedMemory.HandleTypes.Ensure<T>();
            _inner.WriteValue(in value);
        }
    }

    internal void Flush() => _inner.Flush();

    /// <summary>Bytes written since this writer was made, flushed or not: the buffer's count at that time plus this is where the next value goes.</summary>
    internal int WrittenCount => _inner.WrittenCount;
}
