using ParallelKit;

namespace ThreadsSample;

/// <summary>The shared counter: one <c>long</c> in shared memory, every access under its lock.</summary>
public partial class Counter
{
    /// <summary>The count so far.</summary>
    [SharedValue]
    public partial long Value { get; set; }
}

/// <summary>The seed's <c>worker(n)</c>.</summary>
public static partial class Work
{
    /// <summary>Adds one to the counter <paramref name="n"/> times, each time under the counter's lock.</summary>
    /// <param name="counter">The counter every worker shares.</param>
    /// <param name="n">How many increments.</param>
    [ParallelJob]
    public static void Count(Counter counter, int n)
    {
        for (int i = 0; i < n; i++)
        {
            using (counter.Lock())
            {
                counter.Value += 1;
            }
        }
    }
}
