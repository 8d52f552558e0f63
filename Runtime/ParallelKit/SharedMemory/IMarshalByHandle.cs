namespace ParallelKit;

/// <summary>
/// Implemented by ParallelKit's shared objects (shared values and arrays, <c>[SharedValue]</c> objects,
/// queues, pipes, locks, manager proxies): passed to a job or a <see cref="ParallelProcess"/>, they cross as
/// a handle to the same object, never as a copy. The receiving process opens the object by its handle;
/// the creating process owns it, and it lives as long as its creator holds it.
/// </summary>
public interface IMarshalByHandle
{
    /// <summary>The name other processes open the object by (for shared memory, its file in <c>/dev/shm</c>).</summary>
    string HandleName { get; }
}
