namespace ParallelKit.Tests;

/// <summary>Jobs using manager proxies, passed by handle.</summary>
public static partial class ManagerJobs
{
    /// <summary>The seed's target: fills the dictionary and reverses the list.</summary>
    [ParallelJob]
    public static void Fill(SharedDictionary<string, int> d, SharedList<int> l)
    {
        d["1"] = 1;
        d["2"] = 2;
        d["0.25"] = 25;
        l.Reverse();
    }

    /// <summary>Adds <paramref name="count"/> keys with this prefix.</summary>
    [ParallelJob]
    public static int AddKeys(SharedDictionary<string, int> d, string prefix, int count)
    {
        for (int i = 0; i < count; i++)
        {
            d[$"{prefix}{i}"] = i;
        }

        return d.Count;
    }

    /// <summary>Python's <c>d.setdefault("winner", id)</c>: returns the value every caller agrees on.</summary>
    [ParallelJob]
    public static int ClaimWinner(SharedDictionary<string, int> d, int id) => d.GetOrAdd("winner", id);

    /// <summary>Appends <paramref name="count"/> numbers from <paramref name="start"/> in one call.</summary>
    [ParallelJob]
    public static void AppendBlock(SharedList<int> l, int start, int count) => l.AddRange(System.Linq.Enumerable.Range(start, count));
}
