using System.ComponentModel;
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
    public void Write<T>(scoped in T? value) => _inner.WriteValue(in value);

    internal void Flush() => _inner.Flush();
}
