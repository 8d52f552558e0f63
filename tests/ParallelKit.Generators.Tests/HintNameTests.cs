using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// Hint names become file names (compared ignoring case, and shown in the IDE): each must be unique in the
/// compilation, readable, and the same on every run. A collision fails the whole generator, not one file.
/// </summary>
public sealed class HintNameTests
{
    [Fact]
    public void Types_with_the_same_simple_name_get_distinct_hint_names()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library(
            Job("namespace Alpha;", "Worker"),
            Job("namespace Beta;", "Worker"),
            Job(string.Empty, "Worker"),
            """
            using ParallelKit;

            namespace Alpha;

            public static partial class Outer
            {
                public static partial class Worker
                {
                    [ParallelJob]
                    public static int Nested() => 0;
                }
            }
            """));

        Assert.Equal(
            ["Alpha.Outer.Worker.Jobs.g.cs", "Alpha.Worker.Jobs.g.cs", "Beta.Worker.Jobs.g.cs", "ParallelKit.JobTable.g.cs", "Worker.Jobs.g.cs"],
            HintNames(result));
    }

    [Fact]
    public void Types_whose_names_differ_only_in_case_get_distinct_hint_names()
    {
        // Legal C#, but Roslyn compares hint names ignoring case: without care the generator throws and
        // produces nothing at all for the compilation.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library(
            Job("namespace Demo;", "Worker"),
            Job("namespace Demo;", "WORKER"),
            Job("namespace Other;", "Plain")));

        string[] names = HintNames(result);
        Assert.Equal(4, names.Length);
        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains("Other.Plain.Jobs.g.cs", names);
        Assert.All(names.Where(n => n.StartsWith("Demo.", StringComparison.Ordinal)), n => Assert.Matches(@"^Demo\.(Worker|WORKER)\.[0-9A-F]{8}\.Jobs\.g\.cs$", n));
    }

    [Fact]
    public void Hint_names_and_sources_do_not_depend_on_file_order()
    {
        string[] sources = [Job("namespace Demo;", "Worker"), Job("namespace Demo;", "WORKER"), Job("namespace Demo.Sub;", "Worker"), Job(string.Empty, "Worker")];

        GeneratorRunResult forward = GeneratorHarness.RunAndCompile(TestCompilations.Library(sources));
        GeneratorRunResult backward = GeneratorHarness.RunAndCompile(TestCompilations.Library([.. sources.Reverse()]));

        Assert.Equal(
            forward.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).Order(),
            backward.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).Order());
    }

    [Fact]
    public void Nested_types_and_keyword_names_give_plain_hint_names()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace @class.Demo;

            public static partial class @event
            {
                public static partial class Inner
                {
                    public static partial class Innermost
                    {
                        [ParallelJob]
                        public static int @int(int @class) => @class;
                    }
                }
            }

            internal static class Usage
            {
                public static JobCall<int> Call() => @event.Inner.Innermost.Jobs.@int(1);
            }
            """));

        Assert.Equal(["ParallelKit.JobTable.g.cs", "class.Demo.event.Inner.Innermost.Jobs.g.cs"], HintNames(result));
    }

    private static string[] HintNames(GeneratorRunResult result) => [.. result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal)];

    private static string Job(string namespaceDeclaration, string typeName) => $$"""
        using ParallelKit;

        {{namespaceDeclaration}}

        public static partial class {{typeName}}
        {
            [ParallelJob]
            public static int Run(int x) => x;
        }
        """;
}
