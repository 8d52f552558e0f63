using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ParallelKit.Gpu.Generators.Tests.Infrastructure;

/// <summary>
/// A unified diff of two texts, line by line (longest common subsequence; snapshots are a few hundred
/// lines, so the quadratic table is cheap), with three lines of context around each change.
/// </summary>
internal static class LineDiff
{
    private const int Context = 3;

    /// <summary>Formats the changes from <paramref name="expected"/> to <paramref name="actual"/> as a unified diff.</summary>
    /// <param name="expected">The old text (the verified snapshot).</param>
    /// <param name="actual">The new text (what the generator produced).</param>
    /// <param name="expectedName">The old text's name, for the <c>---</c> header.</param>
    /// <param name="actualName">The new text's name, for the <c>+++</c> header.</param>
    /// <returns>The diff, or an empty string when the texts have the same lines.</returns>
    public static string Unified(string expected, string actual, string expectedName, string actualName)
    {
        string[] a = SplitLines(expected);
        string[] b = SplitLines(actual);
        List<(char Kind, string Line, int A, int B)> edits = Edits(a, b);
        if (edits.TrueForAll(e => e.Kind == ' '))
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        text.Append("--- ").Append(expectedName).Append('\n');
        text.Append("+++ ").Append(actualName).Append('\n');
        int index = 0;
        while (index < edits.Count)
        {
            int firstChange = edits.FindIndex(index, e => e.Kind != ' ');
            if (firstChange < 0)
            {
                break;
            }

            // Grow the hunk while the next change is within two contexts of the last one.
            int start = Math.Max(firstChange - Context, index);
            int end = firstChange;
            for (int i = firstChange; i < edits.Count; i++)
            {
                if (edits[i].Kind != ' ')
                {
                    end = i;
                }
                else if (i - end > 2 * Context)
                {
                    break;
                }
            }

            end = Math.Min(end + Context, edits.Count - 1);
            int oldStart = edits[start].A;
            int newStart = edits[start].B;
            int oldCount = 0;
            int newCount = 0;
            for (int i = start; i <= end; i++)
            {
                oldCount += edits[i].Kind != '+' ? 1 : 0;
                newCount += edits[i].Kind != '-' ? 1 : 0;
            }

            // As diff(1) does, an empty side names the line before it.
            text.Append(CultureInfo.InvariantCulture, $"@@ -{(oldCount == 0 ? oldStart : oldStart + 1)},{oldCount} +{(newCount == 0 ? newStart : newStart + 1)},{newCount} @@\n");
            for (int i = start; i <= end; i++)
            {
                text.Append(edits[i].Kind).Append(edits[i].Line).Append('\n');
            }

            index = end + 1;
        }

        return text.ToString();
    }

    /// <summary>Splits on '\n', ignoring '\r' (a checkout may have turned line ends into CRLF).</summary>
    public static string[] SplitLines(string text)
    {
        string normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (normalized.EndsWith('\n'))
        {
            normalized = normalized[..^1];
        }

        return normalized.Length == 0 ? [] : normalized.Split('\n');
    }

    /// <summary>The edit script: every line of both texts, tagged ' ' (both), '-' (old only) or '+' (new only), with its position in each.</summary>
    private static List<(char Kind, string Line, int A, int B)> Edits(string[] a, string[] b)
    {
        // lcs[i, j] = length of the longest common subsequence of a[i..] and b[j..].
        int[,] lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = string.Equals(a[i], b[j], StringComparison.Ordinal) ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var edits = new List<(char, string, int, int)>(a.Length + b.Length);
        int x = 0;
        int y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && string.Equals(a[x], b[y], StringComparison.Ordinal))
            {
                edits.Add((' ', a[x], x, y));
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                edits.Add(('-', a[x], x, y));
                x++;
            }
            else
            {
                edits.Add(('+', b[y], x, y));
                y++;
            }
        }

        return edits;
    }
}
