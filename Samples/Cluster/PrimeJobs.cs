using ParallelKit;

namespace ClusterSample;

/// <summary>Parallel Python's sum_primes, as plain [ParallelJob]s: the same code runs on a local server or a cluster.</summary>
public static partial class PrimeJobs
{
    /// <summary>Sums the primes in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    [ParallelJob]
    public static long SumPrimesBetween(int from, int to)
    {
        long sum = 0;
        for (int n = from; n < to; n++)
        {
            if (IsPrime(n))
            {
                sum += n;
            }
        }

        return sum;
    }

    private static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        if (n % 2 == 0)
        {
            return n == 2;
        }

        for (int d = 3; (long)d * d <= n; d += 2)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}
