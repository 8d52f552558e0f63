using System;
using System.Runtime.CompilerServices;
using System.Threading;
using MemoryPack;
using ParallelKit.SharedMemory;

namespace ParallelKit;

/// <summary>
/// One value of an unmanaged type in shared memory, visible to every thread, job worker and
/// <see cref="ParallelProcess"/> it is passed to — Python's <c>multiprocessing.Value</c>. Reads of values of
/// up to 8 bytes are atomic and take no lock; writes and <see cref="Update"/> take the value's lock, and
/// <see cref="Lock"/> holds it across a compound update. The creating process owns the memory: disposing
/// it (or the creator's exit) removes it for everyone.
/// </summary>
/// <typeparam name="T">An unmanaged type: a number, <see cref="bool"/>, an enum, or a struct of those.</typeparam>
/// <example>
/// <code>
/// using var counter = new SharedValue&lt;long&gt;(0);
/// using (counter.Lock()) { counter.Value += 1; }   // in any process it was passed to
/// </code>
/// </example>
public sealed unsafe class SharedValue<T> : IMarshalByHandle, IMemoryPackFormatterRegister, IDisposableState, IDisposable
    where T : unmanaged
{
    private static readonly ulong Tag = SharedSegment.TypeTag("SharedValue", typeof(T), sizeof(T));

    private readonly SharedSegment _segment;
    private readonly T* _value;

    /// <summary>Creates a value in new shared memory, owned by this process.</summary>
    /// <param name="initial">The initial value.</param>
    public SharedValue(T initial = default)
    {
        _segment = SharedSegment.Create(sizeof(T), Tag);
        _value = (T*)_segment.Data;
        *_value = initial;
        SharedObjects.Remember(_segment.Name, this);
    }

    private SharedValue(SharedSegment segment)
    {
        _segment = segment;
        _value = (T*)segment.Data;
    }

    /// <summary>
    /// The value. Reading takes no lock for values of up to 8 bytes (such reads are atomic); setting takes
    /// the lock. <c>Value++</c> and <c>Value += x</c> are a read and a write: hold <see cref="Lock"/> around
    /// them, or use <see cref="Update"/>.
    /// </summary>
    public T Value
    {
        get
        {
            ThrowIfDisposed();
            if (AtomicField.IsAtomic<T>())
            {
                return AtomicField.Read(ref *_value);
            }

            using (Lock())
            {
                return *_value;
            }
        }

        set
        {
            // Inside the caller's own Lock() (the usual compound update), the write needs no second acquisition.
            if (_segment.IsLockHeld)
            {
                *_value = value;
                return;
            }

            using (Lock())
            {
                *_value = value;
            }
        }
    }

    /// <summary>Applies <paramref name="update"/> to the value under the lock, atomically for every process.</summary>
    /// <param name="update">Computes the new value from the current one; it runs once, holding the lock.</param>
    /// <returns>The new value.</returns>
    public T Update(Func<T, T> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        using (Lock())
        {
            T updated = update(*_value);
            *_value = updated;
            return updated;
        }
    }

    /// <summary>
    /// Takes the value's lock — re-entrant for the thread that holds it, exclusive across threads and
    /// processes — for a compound update: <c>using (v.Lock()) { v.Value = v.Value * 2 + 1; }</c>.
    /// </summary>
    /// <returns>The held lock; dispose it (on the same thread) to release.</returns>
    public LockScope Lock() => _segment.Lock();

    /// <inheritdoc />
    public string HandleName => _segment.Name;

    /// <summary>Whether this object was disposed in this process.</summary>
    public bool IsDisposed => _segment.IsDisposed;

    /// <summary>Releases the shared memory; the creator also removes it, so that no other process can open it any more.</summary>
    public void Dispose() => _segment.Dispose();

    /// <inheritdoc />
    public override string ToString() => IsDisposed ? $"SharedValue<{typeof(T).Name}> (disposed)" : $"SharedValue<{typeof(T).Name}>({Value})";

    /// <summary>Opens the value another process shared, by its handle.</summary>
    internal static SharedValue<T> Open(string handle)
        => SharedObjects.GetOrOpen(handle, static name => new SharedValue<T>(SharedSegment.Open(name, Tag, $"SharedValue<{typeof(T).Name}>")));

    // MemoryPack calls this the first time it meets the type, in whatever position (argument, array element, field).
    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static SharedValue() => HandleTypes.Declare<SharedValue<T>>(static () => new HandleFormatter<SharedValue<T>>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<SharedValue<T>>(Open));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_segment.IsDisposed, this);
}
