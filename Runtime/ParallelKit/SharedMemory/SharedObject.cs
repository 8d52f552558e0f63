using System;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// The base of ParallelKit's objects that live in shared memory (<see cref="ProcessQueue{T}"/>,
/// <see cref="ProcessLock"/>, <see cref="ProcessRLock"/>, <see cref="ProcessSemaphore"/>, <see cref="ProcessEvent"/>,
/// <see cref="ProcessCondition"/>, <see cref="ProcessBarrier"/>): usable from every thread, and from every
/// job worker and <see cref="ParallelProcess"/> they are passed to (by handle). The creating process owns
/// the memory; disposing the object there (or that process's exit) removes it for everyone.
/// </summary>
public abstract unsafe class SharedObject : IMarshalByHandle, IDisposableState, IDisposable
{
    private protected SharedObject(SharedSegment segment)
    {
        Segment = segment;
        if (segment.IsOwner)
        {
            SharedObjects.Remember(segment.Name, this);
        }
    }

    /// <inheritdoc />
    public string HandleName => Segment.Name;

    /// <summary>Whether this object was disposed in this process.</summary>
    public bool IsDisposed => Segment.IsDisposed;

    private protected SharedSegment Segment { get; }

    /// <summary>The lock in the segment's header.</summary>
    private protected int* LockWord
    {
        get
        {
            ObjectDisposedException.ThrowIf(Segment.IsDisposed, this);
            return Segment.LockWord;
        }
    }

    /// <summary>Releases the shared memory; the creator also removes it, so that no other process can open it any more.</summary>
    public void Dispose()
    {
        if (!Segment.IsDisposed)
        {
            DisposeParts();
        }

        Segment.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the object holds besides its own segment (a queue's chunks).</summary>
    private protected virtual void DisposeParts()
    {
    }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name} {HandleName}{(IsDisposed ? " (disposed)" : string.Empty)}";

    /// <summary>Takes the lock in the segment's header, waiting as long as it takes.</summary>
    private protected LockScope EnterLock(bool reentrant)
    {
        RobustLock.Enter(LockWord, reentrant, -1, out bool abandoned);
        return new LockScope(LockWord, this, abandoned);
    }

    /// <summary>Takes the lock in the segment's header unless <paramref name="timeout"/> passes first.</summary>
    private protected bool TryEnterLock(bool reentrant, TimeSpan timeout, out LockScope scope)
    {
        if (RobustLock.Enter(LockWord, reentrant, RobustLock.Milliseconds(timeout), out bool abandoned))
        {
            scope = new LockScope(LockWord, this, abandoned);
            return true;
        }

        scope = default;
        return false;
    }

    /// <summary>The <paramref name="index"/>th 32-bit word of the object's data.</summary>
    private protected int* Word(int index) => (int*)Segment.Data + index;

    /// <summary>Opens, or finds already open, the object <paramref name="handle"/> names.</summary>
    private protected static T OpenShared<T>(string handle, ulong tag, Func<SharedSegment, T> wrap)
        where T : SharedObject
        => SharedObjects.GetOrOpen(handle, name => wrap(SharedSegment.Open(name, tag, typeof(T).Name)));

    private protected static ulong TagOf<T>() => SharedSegment.TypeTag(typeof(T).Name, typeof(int), sizeof(int));
}
