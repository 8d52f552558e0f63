namespace SharedMemorySample;

/// <summary>The seed's <c>f(n, a)</c>: runs in a child process, on memory the parent created.</summary>
public static partial class Seed
{
    /// <summary><c>n.value = 3.1415927; a[i] = -a[i]</c>.</summary>
    /// <param name="n">A shared double (Python's <c>Value('d')</c>).</param>
    /// <param name="a">A shared int array (Python's <c>Array('i')</c>).</param>
    [ParallelKit.ParallelJob]
    public static void F(ParallelKit.SharedValue<double> n, ParallelKit.SharedArray<int> a)
    {
        n.Value = 3.1415927;
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = -a[i];
        }
    }
}

/// <summary>Progress that job workers update and the parent reads, in one shared-memory segment.</summary>
public partial class SearchProgress
{
    /// <summary>How many numbers have been checked, by all workers together.</summary>
    [ParallelKit.SharedValue]
    public partial long Checked { get; set; }

    /// <summary>How many primes were found.</summary>
    [ParallelKit.SharedValue]
    public partial long Found { get; set; }

    /// <summary>The largest prime found so far.</summary>
    [ParallelKit.SharedValue]
    public partial int Largest { get; set; }
}

/// <summary>The work: count primes in a range, reporting into the shared progress as it goes.</summary>
public static partial class Search
{
    private const int ReportEvery = 1_000;

    /// <summary>Counts the primes in [<paramref name="from"/>, <paramref name="to"/>), updating <paramref name="progress"/>.</summary>
    /// <param name="progress">The shared progress object (marshaled by handle: the worker maps the parent's memory).</param>
    /// <param name="from">The first number.</param>
    /// <param name="to">The end of the range (excluded).</param>
    [ParallelKit.ParallelJob]
    public static void CountPrimes(SearchProgress progress, int from, int to)
    {
        long found = 0;
        int largest = 0;
        int pending = 0;
        for (int n = from; n < to; n++)
        {
            if (IsPrime(n))
            {
                found++;
                largest = n;
            }

            if (++pending == ReportEvery)
            {
                progress.AddChecked(pending);
                pending = 0;
            }
        }

        // A compound update (two values and a maximum), so under the object's lock.
        using (progress.Lock())
        {
            progress.Checked += pending;
            progress.Found += found;
            if (largest > progress.Largest)
            {
                progress.Largest = largest;
            }
        }
    }

    private static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        for (int d = 2; (long)d * d <= n; d++)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}
