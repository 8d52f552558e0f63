using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// Each mistake a <c>docs/diagnostics</c> page shows under "Bad" prints its PK diagnostic on <c>dotnet build</c>, as a
/// user on the command line or in CI sees it. The compiler runs no analyzer once a declaration error has stopped it
/// (CS9248 for a partial property without an implementation, CS0751 for one in a type that is not partial): a
/// rejected <c>[SharedValue]</c> gets a stand-in implementation, and where the compiler's error is unavoidable the
/// generator reports the PK diagnostic beside it.
/// </summary>
public sealed class CommandLineDiagnosticsTests
{
    /// <summary>Pages whose "Bad" block is not a list of type declarations, with one that shows the same mistake.</summary>
    private static readonly Dictionary<string, string> s_statementExamples = new(StringComparer.Ordinal)
    {
        ["PK1006"] = """
            public static partial class Filters
            {
                [ParallelJob]
                public static int[] Where(int[] values, Func<int, bool> predicate) => values.Where(predicate).ToArray();
            }
            """,
        ["PK2007"] = """
            public partial class Progress
            {
                [SharedValue] public partial long Done { get; set; }
            }

            public static class Worker
            {
                public static void Step(Progress progress) => progress.Done++;
            }
            """,
    };

    [Fact]
    public void Every_mistake_in_the_docs_prints_its_PK_diagnostic_on_dotnet_build()
    {
        string repo = DotnetCli.RepositoryRoot();
        string work = Directory.CreateTempSubdirectory("parallelkit-diagnostics-").FullName;
        try
        {
            // PK2002 gets a project of its own below: its CS0751 stops the compiler before any analyzer runs.
            List<string> ids = [];
            foreach (string page in Directory.GetFiles(Path.Combine(repo, "docs", "diagnostics"), "PK*.md").Order(StringComparer.Ordinal))
            {
                string id = Path.GetFileNameWithoutExtension(page);
                if (!(id.StartsWith("PK1", StringComparison.Ordinal) || id.StartsWith("PK2", StringComparison.Ordinal)) || id == "PK2002")
                {
                    continue;
                }

                string example = s_statementExamples.TryGetValue(id, out string? statements) ? statements : BadExample(page);
                File.WriteAllText(Path.Combine(work, id + ".cs"), $"using ParallelKit;\n\nnamespace Case{id};\n\n{example}\n");
                ids.Add(id);
            }

            Assert.True(ids.Count >= 20, $"only {ids.Count} pages found");
            string output = Build(work, "Console.WriteLine(\"unreachable\");\n");

            Assert.DoesNotContain("CS9248", output, StringComparison.Ordinal);
            List<string> missing = [.. ids.Where(id => !Regex.IsMatch(output, $@"{id}\.cs\(\d+,\d+\): (error|warning) {id}:"))];
            Assert.True(missing.Count == 0, $"no {string.Join(", ", missing)} in the build output:\n{output}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void A_SharedValue_in_a_class_that_is_not_partial_prints_PK2002_beside_the_compilers_error()
    {
        string repo = DotnetCli.RepositoryRoot();
        string work = Directory.CreateTempSubdirectory("parallelkit-diagnostics-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(work, "PK2002.cs"), "using ParallelKit;\n\nnamespace CasePK2002;\n\n" + BadExample(Path.Combine(repo, "docs", "diagnostics", "PK2002.md")) + "\n");
            File.WriteAllText(Path.Combine(work, "Nested.cs"), """
                using ParallelKit;

                namespace CaseNested;

                public class Outer
                {
                    public partial class Inner
                    {
                        [SharedValue] public partial int Count { get; set; }
                    }
                }
                """);
            string output = Build(work, "Console.WriteLine(\"unreachable\");\n");

            Assert.Matches(@"PK2002\.cs\(\d+,\d+\): error PK2002: \[SharedValue\] property 'Done' must be declared in partial types; make 'Progress' partial", output);
            Assert.Matches(@"Nested\.cs\(\d+,\d+\): error PK2002: \[SharedValue\] property 'Count' must be declared in partial types; make 'Outer' partial", output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void A_rejected_SharedValue_leaves_other_PK_errors_visible()
    {
        string work = Directory.CreateTempSubdirectory("parallelkit-diagnostics-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(work, "Mistakes.cs"), """
                using ParallelKit;

                namespace Mistakes;

                public partial class Status
                {
                    [SharedValue] public partial string Message { get; set; }
                    [SharedValue] public static partial long Total { get; set; }
                    [SharedValue] public partial long Hits { get; }
                    [SharedValue] public partial int this[int index] { get; set; }
                }

                public partial record Point
                {
                    [SharedValue] public partial int X { get; set; }
                }

                public partial class Box<T>
                {
                    [SharedValue] public partial int Size { get; set; }
                }

                public partial class Primes
                {
                    [ParallelJob]
                    public int Count(int to) => to;
                }
                """);
            string output = Build(work, "Console.WriteLine(\"unreachable\");\n");

            Assert.DoesNotContain("CS9248", output, StringComparison.Ordinal);
            Assert.Contains("error PK2003: [SharedValue] property 'Message' has type 'string'", output, StringComparison.Ordinal);
            Assert.Contains("error PK2004", output, StringComparison.Ordinal);
            Assert.Contains("error PK2005: [SharedValue] property 'X' is declared in the record 'Point'", output, StringComparison.Ordinal);
            Assert.Contains("error PK2005: [SharedValue] property 'Size' is declared in the generic type 'Box'", output, StringComparison.Ordinal);
            Assert.Contains("error PK1001", output, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"error CS\d+", output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The first C# block under a page's "## Bad" heading.</summary>
    private static string BadExample(string page)
    {
        string text = File.ReadAllText(page);
        Match match = Regex.Match(text, @"## Bad\s+```csharp\n(?<code>.*?)```", RegexOptions.Singleline);
        Assert.True(match.Success, $"{page} has no C# block under '## Bad'");
        return match.Groups["code"].Value;
    }

    private static string Build(string directory, string program)
    {
        File.WriteAllText(Path.Combine(directory, "Program.cs"), program);
        File.WriteAllText(Path.Combine(directory, "Mistakes.csproj"), DotnetCli.ConsoleProjectUsingThisBuild("<AllowUnsafeBlocks>true</AllowUnsafeBlocks>"));
        (int exitCode, string output) = DotnetCli.Run("build", directory);
        Assert.True(exitCode != 0, $"the build succeeded:\n{output}");
        return output;
    }
}
