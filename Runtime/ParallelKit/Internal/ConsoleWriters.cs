using System;
using System.IO;
using System.Reflection;

namespace ParallelKit.Internal;

/// <summary>
/// Flushes <see cref="Console.Out"/> and <see cref="Console.Error"/> before a process leaves with <c>_exit</c>,
/// without creating them when nothing used them: creating a console writer costs a process that never
/// printed ~3 ms on its way out.
/// </summary>
internal static class ConsoleWriters
{
    // The writers Console creates on first use (or that Console.SetOut/SetError installed); null until then.
    private static readonly FieldInfo? Output = WriterField("s_out");
    private static readonly FieldInfo? Error = WriterField("s_error");

    public static void FlushCreated()
    {
        if (Output is null || Error is null)
        {
            // Another runtime keeps its writers elsewhere: flush through the public API.
            Console.Out.Flush();
            Console.Error.Flush();
            return;
        }

        (Output.GetValue(null) as TextWriter)?.Flush();
        (Error.GetValue(null) as TextWriter)?.Flush();
    }

    private static FieldInfo? WriterField(string name)
    {
        FieldInfo? field = typeof(Console).GetField(name, BindingFlags.NonPublic | BindingFlags.Static);
        return field?.FieldType == typeof(TextWriter) ? field : null;
    }
}
