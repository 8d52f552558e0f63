using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using MemoryPack;
using ParallelKit.SharedMemory;

namespace ParallelKit;

/// <summary>
/// A fixed-length array of an unmanaged type in shared memory, visible to every thread, job worker and
/// <see cref="ParallelProcess"/> it is passed to — Python's <c>multiprocessing.Array</c>. Reading an element
/// (of up to 8 bytes) takes no lock; setting one takes the array's lock; <see cref="Lock"/> holds it for
/// compound updates and for <see cref="AsSpan"/>, the fast way through the whole array. The creating process
/// owns the memory: disposing it (or the creator's exit) removes it for everyone.
/// </summary>
/// <typeparam name="T">An unmanaged type.</typeparam>
/// <example>
/// <code>
/// using var numbers = new SharedArray&lt;int&gt;(Enumerable.Range(0, 10).ToArray());
/// using (numbers.Lock()) { foreach (ref int x in numbers.AsSpan()) x = -x; }
/// </code>
/// </example>
public sealed unsafe class SharedArray<T> : IMarshalByHandle, IMemoryPackFormatterRegister, IDisposableState, IReadOnlyList<T>, IDisposable
    where T : unmanaged
{
    private static readonly ulong Tag = SharedSegment.TypeTag("SharedArray", typeof(T), sizeof(T));

    private readonly SharedSegment _segment;
    private readonly T* _items;

    /// <summary>Creates an array of <paramref name="length"/> zeroed elements in new shared memory, owned by this process.</summary>
    /// <param name="length">The number of elements.</param>
    public SharedArray(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _segment = SharedSegment.Create((long)length * sizeof(T), Tag);
        _items = (T*)_segment.Data;
        Length = length;
        SharedObjects.Remember(_segment.Name, this);
    }

    /// <summary>Creates an array in new shared memory holding a copy of <paramref name="initial"/>.</summary>
    /// <param name="initial">The initial elements.</param>
    public SharedArray(T[] initial)
        : this(initial is null ? throw new ArgumentNullException(nameof(initial)) : initial.AsSpan())
    {
    }

    /// <summary>Creates an array in new shared memory holding a copy of <paramref name="initial"/>.</summary>
    /// <param name="initial">The initial elements.</param>
    public SharedArray(ReadOnlySpan<T> initial)
        : this(initial.Length)
    {
        initial.CopyTo(new Span<T>(_items, Length));
    }

    private SharedArray(SharedSegment segment)
    {
        _segment = segment;
        _items = (T*)segment.Data;
        Length = checked((int)(segment.DataSize / sizeof(T)));
    }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <inheritdoc />
    int IReadOnlyCollection<T>.Count => Length;

    /// <summary>
    /// An element. Reading takes no lock for elements of up to 8 bytes; setting takes the array's lock.
    /// </summary>
    /// <param name="index">The element's index.</param>
    public T this[int index]
    {
        get
        {
            ThrowIfDisposed();
            if ((uint)index >= (uint)Length)
            {
                ThrowIndex(index);
            }

            if (AtomicField.IsAtomic<T>())
            {
                return AtomicField.Read(ref *(_items + index));
            }

            using (Lock())
            {
                return _items[index];
            }
        }

        set
        {
            if ((uint)index >= (uint)Length)
            {
                ThrowIndex(index);
            }

            if (_segment.IsLockHeld)
            {
                _items[index] = value;
                return;
            }

            using (Lock())
            {
                _items[index] = value;
            }
        }
    }

    /// <summary>
    /// The elements, in place in shared memory — no copy, the fastest way to read or write many. Call it
    /// holding <see cref="Lock"/>, and do not keep the span past the lock (or past <see cref="Dispose"/>).
    /// </summary>
    /// <returns>A span over the shared elements.</returns>
    /// <exception cref="InvalidOperationException">The calling thread does not hold the array's lock.</exception>
    public Span<T> AsSpan()
    {
        ThrowIfDisposed();
        if (!_segment.IsLockHeld)
        {
            throw new InvalidOperationException("SharedArray.AsSpan() gives the shared elements in place: call it inside 'using (array.Lock()) { ... }'.");
        }

        return new Span<T>(_items, Length);
    }

    /// <summary>Copies the elements out, under the lock.</summary>
    /// <returns>A new array with the current elements.</returns>
    public T[] ToArray()
    {
        using (Lock())
        {
            return new ReadOnlySpan<T>(_items, Length).ToArray();
        }
    }

    /// <summary>Takes the array's lock: re-entrant for the thread that holds it, exclusive across threads and processes.</summary>
    /// <returns>The held lock; dispose it (on the same thread) to release.</returns>
    public LockScope Lock() => _segment.Lock();

    /// <inheritdoc />
    public string HandleName => _segment.Name;

    /// <summary>Whether this object was disposed in this process.</summary>
    public bool IsDisposed => _segment.IsDisposed;

    /// <summary>Enumerates a snapshot of the elements (taken under the lock).</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)ToArray()).GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Releases the shared memory; the creator also removes it, so that no other process can open it any more.</summary>
    public void Dispose() => _segment.Dispose();

    /// <inheritdoc />
    public override string ToString() => IsDisposed
        ? $"SharedArray<{typeof(T).Name}> (disposed)"
        : $"SharedArray<{typeof(T).Name}>[{Length}] [{string.Join(", ", ToArray())}]";

    /// <summary>Opens the array another process shared, by its handle.</summary>
    internal static SharedArray<T> Open(string handle)
        => SharedObjects.GetOrOpen(handle, static name => new SharedArray<T>(SharedSegment.Open(name, Tag, $"SharedArray<{typeof(T).Name}>")));

    // MemoryPack calls this the first time it meets the type, in whatever position (argument, array element, field).
    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static SharedArray() => HandleTypes.Declare<SharedArray<T>>(static () => new HandleFormatter<SharedArray<T>>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<SharedArray<T>>(Open));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_segment.IsDisposed, this);

    private void ThrowIndex(int index) => throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must be at least 0 and less than the array's length ({Length}).");
}
