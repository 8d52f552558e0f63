namespace ParallelKit.Tests;

/// <summary>A class with <c>[SharedValue]</c> properties: one segment per instance, shared with every job it is passed to.</summary>
public partial class SharedTally
{
    /// <summary>Creates a tally; the constructor writes a marker that a worker's copy must never write again.</summary>
    public SharedTally()
    {
        Marker = 7;
    }

    /// <summary>A counter.</summary>
    [SharedValue]
    public partial long Count { get; set; }

    /// <summary>The best score seen.</summary>
    [SharedValue]
    public partial double Best { get; set; }

    /// <summary>Set by the constructor, then by the test.</summary>
    [SharedValue]
    public partial int Marker { get; set; }

    /// <summary>Whether <see cref="OnDisposing"/> ran.</summary>
    public bool DisposingRan { get; private set; }

    partial void OnDisposing() => DisposingRan = true;
}

/// <summary>Jobs over <see cref="SharedTally"/>, passed by handle.</summary>
public static partial class SharedValuePropertyJobs
{
    /// <summary>Adds one, <paramref name="times"/> times, each a read and a write under the object's lock.</summary>
    [ParallelJob]
    public static void IncrementUnderLock(SharedTally tally, int times)
    {
        for (int i = 0; i < times; i++)
        {
            using (tally.Lock())
            {
                tally.Count++;
            }
        }
    }

    /// <summary>Adds one, <paramref name="times"/> times, with the generated atomic helper.</summary>
    [ParallelJob]
    public static void IncrementWithHelper(SharedTally tally, int times)
    {
        for (int i = 0; i < times; i++)
        {
            tally.IncrementCount();
        }
    }

    /// <summary>Keeps the best score, a compare-and-set under the lock.</summary>
    [ParallelJob]
    public static void RecordBest(SharedTally tally, double score)
    {
        using (tally.Lock())
        {
            if (score > tally.Best)
            {
                tally.Best = score;
            }
        }
    }

    /// <summary>What the worker sees: the handle, the count and the marker the parent wrote.</summary>
    [ParallelJob]
    public static string Describe(SharedTally tally) => $"{((IMarshalByHandle)tally).HandleName} {tally.Count} {tally.Marker}";

    /// <summary>Whether the same handle arriving twice in one call gives one object (marshaled once per process).</summary>
    [ParallelJob]
    public static bool SameObject(SharedTally first, SharedTally second) => ReferenceEquals(first, second);
}
