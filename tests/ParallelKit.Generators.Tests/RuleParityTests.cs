using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ParallelKit.Analyzers.Csp;
using ParallelKit.Analyzers.Jobs;
using ParallelKit.Analyzers.SharedValues;
using ParallelKit.Generators.Csp;
using ParallelKit.Generators.Jobs;
using ParallelKit.Generators.SharedValues;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// The generators and the analyzers run on the same declarations and must agree: a valid declaration gets generated
/// code that compiles, with no PK diagnostic; an invalid one gets its PK error and no generated code for it (a
/// throwing stand-in at most), never generated code that breaks. One row per rule of PK1xxx, PK2xxx and the CSP declaration
/// rules (PK4001 to PK4003, <c>CspRules</c>).
/// </summary>
public sealed class RuleParityTests
{
    private const string Header = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using MemoryPack;
        using ParallelKit;

        """;

    /// <summary>Declarations and the PK error each must get; "valid" rows must get generated code and none.</summary>
    public static TheoryData<string, string> Jobs { get; } = new()
    {
        { "valid", "public static partial class P { [ParallelJob] public static int Count(int from, int to) => to - from; }" },
        { "valid", "public static partial class P { [ParallelJob] public static Task<long[]> Squares(List<int> xs, CancellationToken token) => Task.FromResult(new long[0]); }" },
        { "valid", "[MemoryPackable] public partial record Point(double X, double Y); public static partial class P { [ParallelJob] public static Point Move(Point p, double dx) => p with { X = p.X + dx }; }" },
        { "valid", "namespace @class { public partial class Outer { internal static partial class @event { [ParallelJob] public static void @var(int @value) { } } } }" },
        { "valid", "public partial class Counter { [SharedValue] public partial long Count { get; set; } } public static partial class P { [ParallelJob] public static void Add(Counter counter, int n) => counter.AddCount(n); }" },
        { "PK1001", "public partial class P { [ParallelJob] public int Count(int n) => n; }" },
        { "PK1002", "public static class P { [ParallelJob] public static int Count(int n) => n; }" },
        { "PK1003", "public class Plain { public int X; } public static partial class P { [ParallelJob] public static int Count(Plain p) => p.X; }" },
        { "PK1003", "public static partial class P { [ParallelJob] public static int Count(object o) => 0; }" },
        { "PK1004", "public class Plain { public int X; } public static partial class P { [ParallelJob] public static Plain Make(int n) => new(); }" },
        { "PK1004", "public static partial class P { private static int s; [ParallelJob] public static ref int Get(int n) => ref s; }" },
        { "PK1005", "public static partial class P { [ParallelJob] public static void Set(ref int n) { n = 1; } }" },
        { "PK1006", "public static partial class P { [ParallelJob] public static int Apply(Func<int, int> f) => f(1); }" },
        { "PK1007", "public static partial class P { [ParallelJob] public static T Echo<T>(T value) => value; }" },
        { "PK1008", "public static partial class Outer<T> { public static partial class P { [ParallelJob] public static int Count(int n) => n; } }" },
        { "PK1009", "public static partial class P { public const int Jobs = 1; [ParallelJob] public static int Count(int n) => n; }" },
        { "PK1010", "public static partial class P { [ParallelJob] public static int Count(CancellationToken a, CancellationToken b) => 0; }" },
        { "PK1011", "public static partial class P { [ParallelJob] public static int Count(int n) => n; [ParallelJob] public static int Count(int n, CancellationToken token) => n; }" },
        { "PK1012", "public static partial class Jobs { [ParallelJob] public static int Count(int n) => n; }" },
        { "PK1013", "file static partial class P { [ParallelJob] public static int Count(int n) => n; }" },
        { "PK1014", "public interface IJob { [ParallelJob] static abstract int Count(int n); }" },
        { "PK1014", "public static partial class P { public static int Run() { [ParallelJob] static int Local(int n) => n; return Local(1); } }" },
        { "PK1015", "public static partial class Outer { private static partial class P { [ParallelJob] public static int Count(int n) => n; } }" },
        { "PK1016", "public static partial class P { private struct Secret { public int X; } [ParallelJob] private static int Peek(Secret s) => s.X; }" },
    };

    /// <summary>Declarations of <c>[SharedValue]</c> properties and the PK error each must get.</summary>
    public static TheoryData<string, string> SharedValues { get; } = new()
    {
        { "valid", "public partial class Progress { [SharedValue] public partial long Done { get; set; } [SharedValue] public partial double Best { get; private set; } }" },
        { "valid", "namespace N { public partial class Outer { public partial class @event { [SharedValue] public partial int @value { get; set; } } } }" },
        { "PK2001", "public partial class Progress { [SharedValue] public long Done { get; set; } }" },
        { "PK2002", "public class Progress { [SharedValue] public partial long Done { get; set; } }" },
        { "PK2003", "public partial class Progress { [SharedValue] public partial string Name { get; set; } }" },
        { "PK2003", "public partial class Progress { [SharedValue] public partial int? Maybe { get; set; } }" },
        { "PK2004", "public partial class Progress { [SharedValue] public partial long Done { get; } }" },
        { "PK2004", "public partial class Progress { [SharedValue] public static partial long Done { get; set; } }" },
        { "PK2005", "public partial struct Progress { [SharedValue] public partial long Done { get; set; } }" },
        { "PK2005", "public partial class Progress<T> { [SharedValue] public partial long Done { get; set; } }" },
        { "PK2005", "public abstract partial class Progress { [SharedValue] public partial long Done { get; set; } }" },
        { "PK2005", "file partial class Progress { [SharedValue] public partial long Done { get; set; } }" },
        { "PK2006", "public partial class Progress { [SharedValue] public partial long Done { get; set; } public void Lock() { } }" },
    };

    /// <summary>Declarations of <c>[CspProcess]</c> methods and the PK error each must get.</summary>
    public static TheoryData<string, string> Processes { get; } = new()
    {
        { "valid", "public static partial class Net { [CspProcess] public static Task Succ(ChannelIn<long> input, ChannelOut<long> output) => Task.CompletedTask; }" },
        { "valid", "public static partial class Net { [CspProcess(Propagate = false)] public static long Sum(ChannelIn<long>[] inputs, IReadOnlyList<ChannelOut<string>> logs, int scale, CancellationToken token) => 0; }" },
        { "valid", "public partial struct Net { [CspProcess] public static ValueTask<int> Count(ChannelIn<int> input) => default; [CspProcess] internal static void Count(ChannelIn<int> input, int limit) { } }" },
        { "valid", "namespace @class { public partial class Outer { internal static partial class @event { [CspProcess] public static void @var(ChannelOut<int> @out, int @value) { } } } }" },
        { "valid", "public partial class Outer { protected internal static partial class Net { [CspProcess] public static void Run(List<ChannelIn<int>> inputs) { } } }" },
        { "valid", "public static partial class Net { private static int s; [CspProcess] public static ref int Run(ChannelIn<int> input) => ref s; }" },
        { "PK4001", "public partial class Net { [CspProcess] public void Run(ChannelIn<int> input) { } }" },
        { "PK4002", "public static class Net { [CspProcess] public static void Run(ChannelIn<int> input) { } }" },
        { "PK4002", "public static class Outer { public static partial class Net { [CspProcess] public static void Run(ChannelIn<int> input) { } } }" },
        { "PK4003", "public static partial class Net { [CspProcess] public static void Run<T>(ChannelIn<T> input) { } }" },
        { "PK4003", "public static partial class Net<T> { [CspProcess] public static void Run(ChannelIn<int> input) { } }" },
        { "PK4003", "file static partial class Net { [CspProcess] public static void Run(ChannelIn<int> input) { } }" },
        { "PK4003", "public static partial class Outer { private static partial class Net { [CspProcess] public static void Run(ChannelIn<int> input) { } } }" },
        { "PK4003", "public static partial class Processes { [CspProcess] public static void Run(ChannelIn<int> input) { } }" },
        { "PK4003", "public static partial class Net { public const int Processes = 1; [CspProcess] public static void Run(ChannelIn<int> input) { } }" },
        { "PK4003", "public static partial class Net { [CspProcess] public static void Run(ref int n) { } }" },
        { "PK4003", "public static partial class Net { [CspProcess] public static void Run(ChannelIn<int> input, CancellationToken a, CancellationToken b) { } }" },
        { "PK4003", "public static partial class Net { [CspProcess] public static void Run(Span<int> span) { } }" },
        { "PK4003", "public static partial class Net { [CspProcess] public static void Run(dynamic value) { } }" },
        { "PK4003", "public static partial class Net { private sealed class Secret { } [CspProcess] private static void Run(Secret secret) { } }" },
        { "PK4003", "public static partial class Net { [CspProcess] public static Span<int> Run(ChannelIn<int> input) => default; }" },
        { "PK4003", "public static partial class Net { private sealed class Secret { } [CspProcess] private static Task<Secret> Run(ChannelIn<int> input) => Task.FromResult(new Secret()); }" },
        { "PK4003", "public static partial class Net { [CspProcess] public static dynamic Run(ChannelIn<int> input) => 0; }" },
        { "PK4003", "public partial interface INet { [CspProcess] static abstract void Run(ChannelIn<int> input); }" },
        { "PK4003", "public static partial class Net { public static void Host() { [CspProcess] static void Local(ChannelIn<int> input) { } Local(null!); } }" },
    };

    [Theory]
    [MemberData(nameof(Jobs))]
    public Task Each_job_gets_its_factory_or_its_error(string expected, string declaration)
        => AssertParity(expected, declaration, ".Jobs.g.cs");

    [Theory]
    [MemberData(nameof(SharedValues))]
    public Task Each_shared_value_gets_its_implementation_or_its_error(string expected, string declaration)
        => AssertParity(expected, declaration, ".SharedValues.g.cs");

    [Theory]
    [MemberData(nameof(Processes))]
    public Task Each_process_gets_its_processes_class_or_its_error(string expected, string declaration)
        => AssertParity(expected, declaration, ".Processes.g.cs");

    /// <summary>
    /// Runs the generators and the declaration analyzers on <paramref name="declaration"/>: "valid" must give a file
    /// ending in <paramref name="generatedFile"/>, a clean compilation and no PK diagnostic; a PK ID must be reported
    /// (by the analyzer, or by the generator where a declaration error stops the analyzers) while no such file is
    /// generated and no generated file has an error.
    /// </summary>
    private static async Task AssertParity(string expected, string declaration, string generatedFile)
    {
        CSharpCompilation input = TestCompilations.Library(Header + declaration);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new ParallelJobGenerator().AsSourceGenerator(), new SharedValueGenerator().AsSourceGenerator(), new CspProcessGenerator().AsSourceGenerator()],
            parseOptions: TestCompilations.ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics, TestContext.Current.CancellationToken);
        GeneratorDriverRunResult run = driver.GetRunResult();
        Assert.All(run.Results, r => Assert.Null(r.Exception));

        ImmutableArray<Diagnostic> analyzerDiagnostics = await output
            .WithAnalyzers([new ParallelJobAnalyzer(), new SharedValueDeclarationAnalyzer(), new CspProcessAnalyzer()], new AnalyzerOptions([]))
            .GetAnalyzerDiagnosticsAsync(TestContext.Current.CancellationToken);
        string[] reported = [.. analyzerDiagnostics.Concat(generatorDiagnostics).Select(static d => d.Id).Where(static id => id.StartsWith("PK", StringComparison.Ordinal)).Distinct().Order()];
        string[] files = [.. run.GeneratedTrees.Select(static t => System.IO.Path.GetFileName(t.FilePath))];
        Diagnostic[] errors = [.. output.GetDiagnostics(TestContext.Current.CancellationToken).Where(static d => d.Severity == DiagnosticSeverity.Error)];

        if (expected == "valid")
        {
            Assert.Empty(reported);
            Assert.Contains(files, f => f.EndsWith(generatedFile, StringComparison.Ordinal));
            GeneratorHarness.AssertCompilesClean(output);
        }
        else
        {
            Assert.Contains(expected, reported);
            Assert.DoesNotContain(files, f => f.EndsWith(generatedFile, StringComparison.Ordinal));
            Assert.DoesNotContain(files, f => f is "ParallelKit.JobTable.g.cs" or "ParallelKit.CspProcessTable.g.cs");
            Assert.DoesNotContain(errors, e => e.Location.SourceTree is { } tree && run.GeneratedTrees.Contains(tree));
        }
    }
}
