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
        segment.BeforeUnmap = DisposeParts;
        if (segment.IsOwner)
        {
            SharedObjects.Remember(segment.Name, this);
        }
    }

    /// <inheritdoc />
    public string HandleName => Segment.Name;

    /// <summary>Whether this object was disposed in this process.</summary>
    public bool IsDisposed => Segment.IsDisposed;

    internal SharedSegment Segment { get; }

    /// <summary>The lock in the segment's header.</summary>
    private protected int* LockWord
    {
        get
        {
            ObjectDisposedException.ThrowIf(Segment.IsDisposed, this);
            return Segment.LockWord;
        }
    }

    /// <summary>
    /// Releases the shared memory; the creator also removes it, so that no other process can open it any more. A
    /// wait on the object still going in another thread of this process ends with <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (!Segment.IsDisposed)
        {
            try
            {
                // Kept mapped across the disposal, so that sleepers that wait without slices can be woken to see it.
                using SegmentUse use = Segment.Use();
                byte* data = Segment.Data;
                Segment.Dispose();
                WakeSleepers(data);
            }
            catch (ObjectDisposedException)
            {
                // Another thread disposed it meanwhile.
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Wakes this process's threads sleeping on the object without slices (the object was just disposed; they then
    /// throw <see cref="ObjectDisposedException"/>). <paramref name="data"/> is the object's data, still mapped.
    /// </summary>
    private protected virtual void WakeSleepers(byte* data)
    {
    }

    /// <summary>Releases what the object holds besides its own segment (a queue's chunks), when the segment is unmapped.</summary>
    private protected virtual void DisposeParts()
    {
    }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name} {HandleName}{(IsDisposed ? " (disposed)" : string.Empty)}";

    /// <summary>Takes the lock in the segment's header, waiting as long as it takes.</summary>
    private protected LockScope EnterLock(bool reentrant) => LockScope.Enter(Segment, reentrant);

    /// <summary>Takes the lock in the segment's header unless <paramref name="timeout"/> passes first.</summary>
    private protected bool TryEnterLock(bool reentrant, TimeSpan timeout, out LockScope scope)
        => LockScope.TryEnter(Segment, reentrant, RobustLock.Milliseconds(timeout), out scope);

    /// <summary>Keeps the segment mapped for a wait on it (see <see cref="SharedSegment.Use"/>).</summary>
    private protected SegmentUse Use() => Segment.Use();

    /// <summary>A wait on the 32-bit data word <paramref name="word"/>, with sleepers counted in <paramref name="sleepers"/> (negative: not counted).</summary>
    private protected WaitWord WaitOn(int word, int sleepers) => new(Word(word), sleepers < 0 ? null : Word(sleepers));

    /// <summary>The <paramref name="index"/>th 32-bit word of the object's data.</summary>
    private protected int* Word(int index) => (int*)Segment.Data + index;

    /// <summary>Opens, or finds already open, the object <paramref name="handle"/> names.</summary>
    private protected static T OpenShared<T>(string handle, ulong tag, Func<SharedSegment, T> wrap)
        where T : SharedObject
        => SharedObjects.GetOrOpen(handle, name => wrap(SharedSegment.Open(name, tag, typeof(T).Name)));

    private protected static ulong TagOf<T>() => SharedSegment.TypeTag(typeof(T).Name, typeof(int), sizeof(int));
}
