using System;
using System.ComponentModel;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Threading;
using ParallelKit.Sync;

namespace ParallelKit.SharedMemory;

/// <summary>
/// One named block of shared memory: a file in <c>/dev/shm</c> (0600) mapped into every process that
/// uses it, with a header, a robust cross-process lock and the data. The process that creates it owns
/// it and removes the file when it disposes the segment, when it exits, or — after a crash — the next
/// ParallelKit process that creates a segment does. Other processes open it by name (its handle);
/// a mapping stays valid after the file is removed. Used by <see cref="SharedValue{T}"/>,
/// <see cref="SharedArray{T}"/> and the code generated for <c>[SharedValue]</c> properties.
/// </summary>
/// <remarks>
/// Waits that sleep on the segment hold it mapped (<see cref="Use"/>) and notice its disposal within a slice: a
/// segment disposed while another thread of the same process waits on it makes that wait throw
/// <see cref="ObjectDisposedException"/>, and the memory is unmapped when the last such wait has left. Other
/// operations racing with <see cref="Dispose"/> are a bug, as with any mapped view.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class SharedSegment : IDisposable
{
    /// <summary>Where the data starts, after the header and the lock: aligned for any value and for SIMD.</summary>
    public const int DataOffset = SegmentHeader.Size;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;
    // Bit 0: disposed. The other bits: twice the number of uses in progress (Use). The view is unmapped once the
    // segment is disposed and no use is left, by whichever of Dispose and the last EndUse gets there.
    private int _state;

    private SharedSegment(string name, MemoryMappedFile file, MemoryMappedViewAccessor view, bool isOwner)
    {
        Name = name;
        _file = file;
        _view = view;
        IsOwner = isOwner;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    /// <summary>Unlinks the file of an owner that was never disposed (its mapping goes with the view's own finalizer).</summary>
    ~SharedSegment()
    {
        if (IsOwner && !IsDisposed)
        {
            SegmentFiles.Unlink(Name);
        }
    }

    /// <summary>The segment's name: its file in <c>/dev/shm</c>, and the handle other processes open it by.</summary>
    public string Name { get; }

    /// <summary>Whether this process created the segment (and removes it).</summary>
    public bool IsOwner { get; }

    /// <summary>
    /// The size of the data, in bytes: as this process found it when it created or checked the segment, never read
    /// again from shared memory, where another process could change it to address memory past the mapping.
    /// </summary>
    public long DataSize { get; private set; }

    /// <summary>The first byte of the data.</summary>
    /// <exception cref="ObjectDisposedException">The segment was disposed.</exception>
    public byte* Data
    {
        get
        {
            ThrowIfDisposed();
            return _base + DataOffset;
        }
    }

    /// <summary>Whether the segment was disposed in this process.</summary>
    public bool IsDisposed => (Volatile.Read(ref _state) & 1) != 0;

    internal int* LockWord => (int*)(_base + SegmentHeader.LockAt);

    /// <summary>Creates a segment of <paramref name="dataSize"/> zeroed bytes, owned by this process.</summary>
    /// <param name="dataSize">The size of the data.</param>
    /// <param name="typeTag">What the data holds, checked when another process opens it (see <see cref="TypeTag"/>).</param>
    /// <returns>The segment.</returns>
    public static SharedSegment Create(long dataSize, ulong typeTag)
    {
        ThrowIfUnsupported();
        return Create(SegmentFiles.NewName(), dataSize, typeTag, owned: true);
    }

    /// <summary>
    /// Creates a part of another segment's object (a queue's next chunk), named <c>{owner}-{index}</c>: it
    /// belongs to the owner of <paramref name="ownerName"/> (removed with it, and by the sweep after the
    /// owner's crash), not to the process that happens to create it.
    /// </summary>
    internal static SharedSegment CreatePart(string ownerName, long index, long dataSize, ulong typeTag)
        => Create(SegmentFiles.PartName(ownerName, index), dataSize, typeTag, owned: false);

    private static SharedSegment Create(string name, long dataSize, ulong typeTag, bool owned)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataSize);
        SharedMemoryUse.SegmentsCreated = true;
        SegmentFiles.RemoveSegmentsOfDeadOwners();
        long length = DataOffset + Math.Max(dataSize, 1);
        string path = SegmentFiles.PathOf(name);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite,

            // Reserve the memory now (fallocate): a full /dev/shm is then an IOException here, not a
            // SIGBUS at the first write to a page that tmpfs cannot back.
            PreallocationSize = length,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        if (owned)
        {
            SegmentFiles.Own(name);
        }

        try
        {
            stream.SetLength(length);
            MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            var segment = new SharedSegment(name, file, view, isOwner: owned);
            SegmentHeader.Write(segment._base, dataSize, typeTag);
            segment.DataSize = dataSize;
            return segment;
        }
        catch
        {
            stream.Dispose();
            SegmentFiles.Unlink(name);
            throw;
        }
    }

    /// <summary>Opens a segment another process (or this one) created.</summary>
    /// <param name="name">The segment's <see cref="Name"/>.</param>
    /// <param name="typeTag">What the caller expects it to hold.</param>
    /// <param name="what">How the caller names the object, for errors (e.g. <c>SharedValue&lt;int&gt;</c>).</param>
    /// <returns>The segment.</returns>
    /// <exception cref="InvalidOperationException">It no longer exists, or holds something else.</exception>
    public static SharedSegment Open(string name, ulong typeTag, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfUnsupported();
        if (!SegmentFiles.IsSegmentName(name))
        {
            throw new ArgumentException($"'{name}' is not the name of a ParallelKit shared-memory segment.", nameof(name));
        }

        FileStream stream;
        try
        {
            stream = new FileStream(SegmentFiles.PathOf(name), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (FileNotFoundException)
        {
            throw new InvalidOperationException(
                $"The {what} '{name}' no longer exists: the process that created it disposed it or exited. " +
                "Shared memory lives as long as its creator holds it; keep it (and the creating process) alive while others use it.");
        }

        try
        {
            long length = stream.Length;
            if (length < DataOffset)
            {
                throw new InvalidOperationException($"The {what} '{name}' is not a complete ParallelKit segment.");
            }

            MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            var segment = new SharedSegment(name, file, view, isOwner: false);
            long dataSize = *(long*)(segment._base + SegmentHeader.DataSizeAt);
            string? wrong = dataSize < 0 || DataOffset + dataSize > length ? "layout" : SegmentHeader.Check(segment._base, length, typeTag);
            segment.DataSize = dataSize;
            if (wrong is not null)
            {
                segment.Dispose();
                throw new InvalidOperationException(wrong == SegmentHeader.WrongType
                    ? $"The shared-memory segment '{name}' does not hold a {what}: the handle was passed where another type was expected."
                    : $"The {what} '{name}' is not a ParallelKit segment of this version.");
            }

            return segment;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A stable fingerprint of what a segment holds (a kind, and the full name and size of its element type),
    /// so that a handle opened as the wrong type fails clearly instead of reinterpreting memory.
    /// </summary>
    public static ulong TypeTag(string kind, Type elementType, int elementSize)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(elementType);
        ulong hash = 14695981039346656037UL;
        foreach (char c in $"{kind}<{elementType.FullName ?? elementType.Name}>:{elementSize}")
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>Takes the segment's lock (re-entrant), waiting as long as it takes.</summary>
    /// <returns>The held lock; dispose it to release.</returns>
    public LockScope Lock() => LockScope.Enter(this, reentrant: true);

    /// <summary>Whether the calling thread holds the segment's lock.</summary>
    public bool IsLockHeld => !IsDisposed && RobustLock.IsHeldByCurrentThread(LockWord);

    /// <summary>
    /// A reference to the <typeparamref name="T"/> at <paramref name="offset"/> in the data, for code generated for
    /// <c>[SharedValue]</c> properties (which needs no <see langword="unsafe"/> context this way). Writing through it
    /// is only safe while holding <see cref="Lock"/>.
    /// </summary>
    /// <typeparam name="T">The field's type.</typeparam>
    /// <param name="offset">The field's offset from <see cref="Data"/>, aligned for <typeparamref name="T"/>.</param>
    /// <returns>The field.</returns>
    /// <exception cref="ObjectDisposedException">The segment was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The field does not lie inside the data.</exception>
    public ref T Field<T>(int offset)
        where T : unmanaged
    {
        byte* data = Data;
        if (offset < 0 || offset + (long)sizeof(T) > DataSize)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"A {typeof(T).Name} at this offset does not lie inside the segment's {DataSize} bytes of data.");
        }

        return ref Unsafe.AsRef<T>(data + offset);
    }

    /// <summary>
    /// Reads the <typeparamref name="T"/> at <paramref name="offset"/>: atomically and without the lock when it
    /// takes 1, 2, 4 or 8 bytes (the field must be aligned to its size), under <see cref="Lock"/> otherwise.
    /// </summary>
    /// <typeparam name="T">The field's type.</typeparam>
    /// <param name="offset">The field's offset from <see cref="Data"/>.</param>
    /// <returns>The field's value.</returns>
    public T Read<T>(int offset)
        where T : unmanaged
    {
        ref T field = ref Field<T>(offset);
        if (AtomicField.IsAtomic<T>())
        {
            return AtomicField.Read(ref field);
        }

        using (Lock())
        {
            return field;
        }
    }

    /// <summary>Writes the <typeparamref name="T"/> at <paramref name="offset"/>, under <see cref="Lock"/>.</summary>
    /// <typeparam name="T">The field's type.</typeparam>
    /// <param name="offset">The field's offset from <see cref="Data"/>.</param>
    /// <param name="value">The value to write.</param>
    public void Write<T>(int offset, T value)
        where T : unmanaged
    {
        ref T field = ref Field<T>(offset);
        using (Lock())
        {
            field = value;
        }
    }

    /// <summary>
    /// Remembers a shared object this process created, by its handle, so that the handle coming back (a job's
    /// result, a nested argument) finds the same object instead of mapping the memory again.
    /// </summary>
    /// <param name="handle">The object's handle: its segment's <see cref="Name"/>.</param>
    /// <param name="value">The object.</param>
    public static void Remember(string handle, object value) => SharedObjects.Remember(handle, value);

    /// <summary>
    /// The live shared object of this process for <paramref name="handle"/>, or a new one made by
    /// <paramref name="open"/> (which maps the segment, typically with <see cref="Open"/>): one object per handle
    /// and process, however many times the handle arrives.
    /// </summary>
    /// <typeparam name="T">The object's type.</typeparam>
    /// <param name="handle">The handle that arrived.</param>
    /// <param name="open">Opens the object when this process has no live one.</param>
    /// <param name="isDisposed">Whether a remembered object was disposed (and so must not be handed out again).</param>
    /// <returns>The object.</returns>
    public static T GetOrOpen<T>(string handle, Func<string, T> open, Func<T, bool> isDisposed)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(isDisposed);
        return SharedObjects.GetOrOpen(handle, open, isDisposed);
    }

    /// <summary>
    /// Unmaps the segment (at once, or when the last wait using it leaves); the owner also removes its file, so that
    /// no other process can open it any more.
    /// </summary>
    public void Dispose()
    {
        int state = Volatile.Read(ref _state);
        while (true)
        {
            if ((state & 1) != 0)
            {
                return;
            }

            int seen = Interlocked.CompareExchange(ref _state, state | 1, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        if (IsOwner)
        {
            SegmentFiles.Unlink(Name);
        }

        GC.SuppressFinalize(this);
        if (state == 0)
        {
            Unmap();
        }
    }

    /// <summary>
    /// Keeps the mapping until the returned scope is disposed, even if another thread disposes the segment
    /// meanwhile (then the scope's end unmaps it). For operations that may sleep on the segment's memory.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The segment was disposed.</exception>
    internal SegmentUse Use()
    {
        BeginUse();
        return new SegmentUse(this);
    }

    /// <summary>Begins a use (see <see cref="Use"/>) to be ended by <see cref="EndUse"/>, for a use that outlives a call (a held lock).</summary>
    /// <exception cref="ObjectDisposedException">The segment was disposed.</exception>
    internal void BeginUse()
    {
        int state = Volatile.Read(ref _state);
        while (true)
        {
            ObjectDisposedException.ThrowIf((state & 1) != 0, this);
            int seen = Interlocked.CompareExchange(ref _state, state + 2, state);
            if (seen == state)
            {
                return;
            }

            state = seen;
        }
    }

    /// <summary>Ends a <see cref="Use"/>; the last one after a disposal unmaps.</summary>
    internal void EndUse()
    {
        if (Interlocked.Add(ref _state, -2) == 1)
        {
            Unmap();
        }
    }

    /// <summary>Runs before the view is unmapped (the object's other parts, such as a queue's chunks, go with it).</summary>
    internal Action? BeforeUnmap { get; set; }

    private void Unmap()
    {
        BeforeUnmap?.Invoke();
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>Cross-process locks identify threads by kernel thread id and wait on futexes: Linux only, for now.</summary>
    private static void ThrowIfUnsupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                "ParallelKit's shared memory, queues, pipes and process locks need Linux (futexes, /dev/shm and kernel thread ids).");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}


/// <summary>
/// Whether this process ever created a segment: a process that did not (most single-job processes) leaves
/// without touching <see cref="SharedSegment"/> at all (no type initialization, no JIT on the way out).
/// </summary>
internal static class SharedMemoryUse
{
    public static volatile bool SegmentsCreated;
}

/// <summary>A use of a <see cref="SharedSegment"/> in progress (see <see cref="SharedSegment.Use"/>); dispose it to end the use.</summary>
internal readonly ref struct SegmentUse
{
    private readonly SharedSegment _segment;

    internal SegmentUse(SharedSegment segment) => _segment = segment;

    /// <summary>Ends the use.</summary>
    public void Dispose() => _segment?.EndUse();
}
