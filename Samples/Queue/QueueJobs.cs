using ParallelKit;

namespace QueueSample;

/// <summary>The target the child process runs.</summary>
public static partial class QueueJobs
{
    /// <summary>Puts one item: the queue crosses into the process by handle.</summary>
    [ParallelJob]
    public static void F(ProcessQueue<(int, string?, string)> q) => q.Put((42, null, "hello"));
}

/// <summary>Prints values the way Python's <c>print</c> shows a list.</summary>
internal static class Python
{
    public static string Repr((int Number, string? Nothing, string Text) item)
        => $"[{item.Number}, {item.Nothing ?? "None"}, '{item.Text}']";
}
