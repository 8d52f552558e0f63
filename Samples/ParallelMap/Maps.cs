using MemoryPack;
using ParallelKit;

namespace ParallelMapSample;

/// <summary>A start of a Collatz chain and its length.</summary>
/// <param name="Start">The number the chain starts at.</param>
/// <param name="Steps">How many steps it takes to reach 1.</param>
[MemoryPackable]
public partial record ChainLength(int Start, int Steps);

/// <summary>The functions mapped.</summary>
public static partial class Maps
{
    /// <summary>The seed's <c>square(x)</c>.</summary>
    /// <param name="x">A number.</param>
    /// <returns><paramref name="x"/> squared.</returns>
    [ParallelJob]
    public static int Square(int x) => x * x;

    /// <summary>The start in [<paramref name="from"/>, <paramref name="to"/>) with the longest Collatz chain (the first, on ties).</summary>
    /// <param name="from">First start (at least 1).</param>
    /// <param name="to">One past the last start.</param>
    /// <returns>The start and its chain length.</returns>
    [ParallelJob]
    public static ChainLength LongestCollatzChain(int from, int to)
    {
        var best = new ChainLength(from, -1);
        for (int start = from; start < to; start++)
        {
            int steps = 0;
            for (long n = start; n != 1; n = (n & 1) == 0 ? n / 2 : (3 * n) + 1)
            {
                steps++;
            }

            if (steps > best.Steps)
            {
                best = new ChainLength(start, steps);
            }
        }

        return best;
    }
}
