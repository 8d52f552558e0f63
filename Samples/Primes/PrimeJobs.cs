using ParallelKit;

namespace Primes;

/// <summary>The jobs of Parallel Python's classic example: sums of primes, computed by trial division.</summary>
public static partial class PrimeJobs
{
    /// <summary>The sum of all primes below <paramref name="n"/> (pp's <c>sum_primes</c>).</summary>
    [ParallelJob]
    public static long SumPrimes(int n) => SumPrimesBetween(2, n);

    /// <summary>The sum of the primes in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    [ParallelJob]
    public static long SumPrimesBetween(int from, int to)
    {
        long sum = 0;
        for (int x = from; x < to; x++)
        {
            if (IsPrime(x))
            {
                sum += x;
            }
        }

        return sum;
    }

    /// <summary>pp's <c>isprime</c>.</summary>
    public static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        if (n == 2)
        {
            return true;
        }

        if (n % 2 == 0)
        {
            return false;
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
