using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;
using static ParallelKit.Analyzers.Csp.CspDiagnosticDescriptors;
using Network = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.Csp.CspNetworkAnalyzer>;
using Process = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.Csp.CspProcessAnalyzer>;

namespace ParallelKit.Analyzers.Tests;

/// <summary>PK4001 to PK4008: CSP process declarations, their bodies, and how networks are put together.</summary>
public sealed class CspAnalyzerTests
{
    private const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ParallelKit;

        """;

    [Fact]
    public async Task ValidProcessesHaveNoDiagnostics()
    {
        await Process.VerifyAsync(Header + """
            public static partial class Net
            {
                [CspProcess]
                public static async Task Succ(ChannelIn<long> input, ChannelOut<long> output)
                {
                    await foreach (long v in input) await output.WriteAsync(v + 1);
                }

                [CspProcess]
                public static long Sum(ChannelIn<long>[] inputs, CancellationToken cancellationToken)
                {
                    long sum = 0;
                    foreach (var input in inputs)
                    {
                        while (true)
                        {
                            try { sum += input.Read(); }
                            catch (ChannelPoisonedException) { break; }
                        }
                    }

                    return sum;
                }
            }
            """);
    }

    [Fact]
    public async Task DeclarationsTheGeneratorCannotDescribeAreReported()
    {
        await Process.VerifyAsync(
            Header + """
            public class Plain
            {
                [CspProcess] public static void {|#0:P|}(ChannelIn<int> input) { }
            }

            public partial class Net
            {
                [CspProcess] public void {|#1:Instance|}(ChannelIn<int> input) { }

                [CspProcess] public static void {|#2:Generic|}<T>(ChannelIn<T> input) { }

                [CspProcess] public static void {|#3:ByRef|}(ref int x) { }
            }
            """,
            Process.Diagnostic(ProcessMustBeInPartialType).WithLocation(0).WithArguments("P", "'Plain'"),
            Process.Diagnostic(ProcessMustBeStatic).WithLocation(1).WithArguments("Instance"),
            Process.Diagnostic(ProcessCannotBeGenerated).WithLocation(2).WithArguments("Generic", "it is generic; write one process per element type"),
            Process.Diagnostic(ProcessCannotBeGenerated).WithLocation(3).WithArguments("ByRef", "its parameter 'x' is passed by reference; a process gets its arguments by value"));
    }

    [Fact]
    public async Task ShapesTheGeneratorSkipsAreReportedToo()
    {
        await Process.VerifyAsync(
            Header + """
            public partial class Net
            {
                private sealed class Secret { }

                [CspProcess] public static void {|#0:Spans|}(Span<int> span) { }

                [CspProcess] private static void {|#1:Hidden|}(Secret secret) { }

                public static void Host()
                {
                    [CspProcess] static void {|#2:Local|}(ChannelIn<int> input) { }
                    Local(null!);
                }
            }

            public partial interface INet
            {
                [CspProcess] static abstract void {|#3:Abstract|}(ChannelIn<int> input);
            }
            """,
            Process.Diagnostic(ProcessCannotBeGenerated).WithLocation(0).WithArguments("Spans", "its parameter 'span' has a type a process cannot hold (dynamic, a pointer or a ref struct)"),
            Process.Diagnostic(ProcessCannotBeGenerated).WithLocation(1).WithArguments("Hidden", "the type of its parameter 'secret' is private or protected: the generated process class cannot name it"),
            Process.Diagnostic(ProcessCannotBeGenerated).WithLocation(2).WithArguments("Local", "it is not an ordinary method (a local function, lambda, operator or accessor)"),
            Process.Diagnostic(ProcessCannotBeGenerated).WithLocation(3).WithArguments("Abstract", "it is an abstract or virtual static interface member; a process needs a body"));
    }

    [Fact]
    public async Task AnEndCapturedOrStoredInsideAProcessIsReported()
    {
        await Process.VerifyAsync(
            Header + """
            public static partial class Net
            {
                private static ChannelOut<int>? s_kept;

                [CspProcess]
                public static void Leaky(ChannelIn<int> input, ChannelOut<int> output)
                {
                    Func<int> later = () => {|#0:input|}.Read();
                    s_kept = {|#1:output|};
                    output.Write(later());
                }
            }
            """,
            Process.Diagnostic(EndEscapesProcess).WithLocation(0).WithArguments("input", "is captured by a lambda or local function"),
            Process.Diagnostic(EndEscapesProcess).WithLocation(1).WithArguments("output", "is stored in a field or property"));
    }

    [Fact]
    public async Task PoisonSwallowedInAReadingLoopIsReported()
    {
        await Process.VerifyAsync(
            Header + """
            public static partial class Net
            {
                [CspProcess]
                public static void Spins(ChannelIn<int> input)
                {
                    while (true)
                    {
                        try { input.Read(); }
                        {|#0:catch|} (ChannelPoisonedException) { Console.WriteLine("poisoned"); }
                    }
                }

                [CspProcess]
                public static void FreshChannelEachRound()
                {
                    for (int round = 0; round < 3; round++)
                    {
                        var c = CspChannel.Create<int>();
                        ChannelIn<int> reader = c.Reader();
                        try { reader.Read(); }
                        catch (ChannelPoisonedException) { }
                    }
                }

                [CspProcess]
                public static void Leaves(ChannelIn<int> input)
                {
                    while (true)
                    {
                        try { input.Read(); }
                        catch (ChannelPoisonedException) { return; }
                    }
                }
            }
            """,
            Process.Diagnostic(PoisonSwallowedInReadLoop).WithLocation(0));
    }

    [Fact]
    public async Task NetworkMistakesAreReported()
    {
        await Network.VerifyAsync(
            Header + """
            public sealed class NotMarshalable
            {
                public Action? Callback { get; set; }
            }

            public static partial class Net
            {
                [CspProcess] public static void Reader(ChannelIn<long> input) { }

                [CspProcess] public static void Odd(ChannelIn<NotMarshalable> input) { }

                public static class Processes
                {
                    public static CspProcessCall Reader(ChannelIn<long> input) => null!;

                    public static CspProcessCall Odd(ChannelIn<NotMarshalable> input) => null!;
                }
            }

            public static class Program
            {
                public static async Task Run()
                {
                    var c = CspChannel.Create<long>();
                    var d = CspChannel.Create<NotMarshalable>();
                    ChannelIn<long> shared = c.Reader();
                    await Csp.Parallel(Net.Processes.Reader(shared), Net.Processes.Reader({|#0:shared|}), Net.Processes.Reader(c.Reader()).InOsProcess());
                    _ = Net.Processes.Odd(d.Reader()).{|#1:InOsProcess|}();
                    var odd = Net.Processes.Odd(d.Reader());
                    CspProcessCall maybe = DateTime.Now.Second > 30 ? odd.{|#4:InOsProcess|}() : odd;
                    var reassigned = Net.Processes.Odd(d.Reader());
                    reassigned = Net.Processes.Reader(c.Reader());
                    _ = reassigned.InOsProcess();
                    _ = {|#2:new Alternation()|};
                    InputGuard<long> never = c.Reader().Guard();
                    never.Enabled = false;
                    _ = {|#3:new Alternation(never)|};
                    InputGuard<long> sometimes = c.Reader().Guard();
                    sometimes.Enabled = DateTime.Now.Second > 30;
                    _ = new Alternation(never, sometimes);
                }
            }
            """,
            Network.Diagnostic(EndSharedByProcesses).WithLocation(0).WithArguments("shared"),
            Network.Diagnostic(OsProcessArgumentCannotBeMarshaled).WithLocation(1).WithArguments("Odd", "input", "its channel carries 'NotMarshalable', and 'NotMarshalable' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial"),
            Network.Diagnostic(OsProcessArgumentCannotBeMarshaled).WithLocation(4).WithArguments("Odd", "input", "its channel carries 'NotMarshalable', and 'NotMarshalable' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial"),
            Network.Diagnostic(AlternationWithoutGuards).WithLocation(2).WithArguments("has no guards"),
            Network.Diagnostic(AlternationWithoutGuards).WithLocation(3).WithArguments("has only guards whose Enabled is always false"));
    }

    [Fact]
    public void EveryCspDiagnosticHasItsCategoryHelpLinkAndDocsPage()
    {
        var descriptors = typeof(ParallelKit.Analyzers.Csp.CspDiagnosticDescriptors)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => f.GetValue(null))
            .OfType<Microsoft.CodeAnalysis.DiagnosticDescriptor>()
            .ToList();
        string docs = Path.Combine(RepositoryRoot(), "docs", "diagnostics");

        Assert.Equal(8, descriptors.Count);
        foreach (var descriptor in descriptors)
        {
            Assert.Equal(Category, descriptor.Category);
            Assert.Equal($"https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
            Assert.True(File.Exists(Path.Combine(docs, descriptor.Id + ".md")), $"{descriptor.Id} has no page in docs/diagnostics");
        }
    }

    private static string RepositoryRoot()
    {
        for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "Parallel.Generators.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException("The repository root (Parallel.Generators.sln) is not above " + AppContext.BaseDirectory);
    }
}
