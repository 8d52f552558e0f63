using System;
using System.Collections.Generic;

namespace ParallelKit.SharedMemory;

/// <summary>
/// The shared objects this process has created or opened, by handle: a handle that arrives again (the same
/// object passed to many jobs on one worker, or handed back to its creator) finds the same object instead of
/// mapping the memory once more.
/// </summary>
internal static class SharedObjects
{
    private static readonly Dictionary<string, WeakReference<object>> Objects = new(StringComparer.Ordinal);
    private static int s_sinceCleanup;

    /// <summary>Remembers an object this process created or opened.</summary>
    public static void Remember(string handle, object value)
    {
        lock (Objects)
        {
            Objects[handle] = new WeakReference<object>(value);
            if (++s_sinceCleanup >= 256)
            {
                s_sinceCleanup = 0;
                List<string>? dead = null;
                foreach ((string key, WeakReference<object> reference) in Objects)
                {
                    if (!reference.TryGetTarget(out _))
                    {
                        (dead ??= []).Add(key);
                    }
                }

                dead?.ForEach(key => Objects.Remove(key));
            }
        }
    }

    /// <summary>The live object for <paramref name="handle"/>, opening it with <paramref name="open"/> when there is none.</summary>
    public static T GetOrOpen<T>(string handle, Func<string, T> open, Func<T, bool>? isDisposed = null)
        where T : class
    {
        lock (Objects)
        {
            if (Objects.TryGetValue(handle, out WeakReference<object>? reference) && reference.TryGetTarget(out object? existing)
                && existing is T typed && !(existing is IDisposableState { IsDisposed: true }) && !(isDisposed?.Invoke(typed) ?? false))
            {
                return typed;
            }
        }

        T opened = open(handle);
        Remember(handle, opened);
        return opened;
    }
}

/// <summary>A shared object that knows whether it was disposed (a disposed one is not handed out again).</summary>
internal interface IDisposableState
{
    bool IsDisposed { get; }
}
