using System.Text;

namespace ParallelKit.Gpu.Generators.Helpers;

/// <summary>FNV-1a, 64 bits: a hash that is the same in every process and on every machine.</summary>
internal static class StableHash
{
    public static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash;
    }
}
