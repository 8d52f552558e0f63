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
    public static void FlushCreated()
    {
        // The writers Console creates on first use (or that Console.SetOut/SetError installed); null until then.
        FieldInfo? output = typeof(Console).GetField("s_out", BindingFlags.NonPublic | BindingFlags.Static);
        FieldInfo? error = typeof(Console).GetField("s_error", BindingFlags.NonPublic | BindingFlags.Static);
        if (output?.FieldType != typeof(TextWriter) || error?.FieldType != typeof(TextWriter))
        {
            // Another runtime keeps its writers elsewhere: flush through the public API.
            Console.Out.Flush();
            Console.Error.Flush();
            return;
        }

        (output.GetValue(null) as TextWriter)?.Flush();
        (error.GetValue(null) as TextWriter)?.Flush();
    }
}
