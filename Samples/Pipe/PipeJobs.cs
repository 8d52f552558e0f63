using ParallelKit;

namespace PipeSample;

/// <summary>The target the child process runs.</summary>
public static partial class PipeJobs
{
    /// <summary>Sends one message and closes its end: the end crosses into the process by handle.</summary>
    [ParallelJob]
    public static void F(PipeEnd<(int, string?, string)> conn)
    {
        conn.Send((42, null, "hello"));
        conn.Dispose();
    }
}

/// <summary>Prints values the way Python's <c>print</c> shows a list.</summary>
internal static class Python
{
    public static string Repr((int Number, string? Nothing, string Text) item)
        => $"[{item.Number}, {item.Nothing ?? "None"}, '{item.Text}']";
}
