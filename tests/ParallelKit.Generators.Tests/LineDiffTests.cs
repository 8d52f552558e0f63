using System.Linq;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>The snapshot failure message: a unified diff that reads like <c>diff -u</c>.</summary>
public sealed class LineDiffTests
{
    [Fact]
    public void Equal_texts_give_no_diff()
    {
        Assert.Equal(string.Empty, LineDiff.Unified("a\nb\n", "a\r\nb\r\n", "old", "new"));
    }

    [Fact]
    public void A_changed_line_is_shown_with_three_lines_of_context()
    {
        string diff = LineDiff.Unified("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", "old", "new");

        Assert.Equal("--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n", diff);
    }

    [Fact]
    public void Distant_changes_get_separate_hunks()
    {
        string[] lines = [.. System.Linq.Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        string expected = string.Join("\n", lines) + "\n";
        lines[1] = "two";
        lines[18] = "nineteen";
        string actual = string.Join("\n", lines) + "\n";

        string diff = LineDiff.Unified(expected, actual, "old", "new");

        Assert.Equal(2, diff.Split("@@ -").Length - 1);
        Assert.Contains("-2\n+two\n", diff, System.StringComparison.Ordinal);
        Assert.Contains("-19\n+nineteen\n", diff, System.StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_file_is_all_additions()
    {
        Assert.Equal("--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n", LineDiff.Unified(string.Empty, "a\nb\n", "old", "new"));
    }
}
