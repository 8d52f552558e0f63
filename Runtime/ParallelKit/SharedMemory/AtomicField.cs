using System.Runtime.CompilerServices;
using System.Threading;

namespace ParallelKit.SharedMemory;

/// <summary>Atomic reads of unmanaged values of 1, 2, 4 or 8 bytes (naturally aligned), as one load of that width.</summary>
internal static class AtomicField
{
    /// <summary>Whether a <typeparamref name="T"/> can be read atomically without a lock.</summary>
    public static unsafe bool IsAtomic<T>()
        where T : unmanaged
        => sizeof(T) is 1 or 2 or 4 or 8;

    /// <summary>Reads <paramref name="field"/> in one load; only for types where <see cref="IsAtomic{T}"/> holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe T Read<T>(ref T field)
        where T : unmanaged
    {
        switch (sizeof(T))
        {
            case 1:
            {
                byte raw = Volatile.Read(ref Unsafe.As<T, byte>(ref field));
                return Unsafe.As<byte, T>(ref raw);
            }

            case 2:
            {
                short raw = Volatile.Read(ref Unsafe.As<T, short>(ref field));
                return Unsafe.As<short, T>(ref raw);
            }

            case 4:
            {
                int raw = Volatile.Read(ref Unsafe.As<T, int>(ref field));
                return Unsafe.As<int, T>(ref raw);
            }

            default:
            {
                long raw = Volatile.Read(ref Unsafe.As<T, long>(ref field));
                return Unsafe.As<long, T>(ref raw);
            }
        }
    }
}
