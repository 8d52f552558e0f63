using System.Threading.Tasks;
using Xunit;
using static ParallelKit.Analyzers.Csp.CspDiagnosticDescriptors;
using MakePartial = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.Csp.CspProcessAnalyzer,
    ParallelKit.Analyzers.Jobs.MakeContainingTypesPartialCodeFixProvider>;
using MakeStatic = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.Csp.CspProcessAnalyzer,
    ParallelKit.Analyzers.Jobs.MakeJobStaticCodeFixProvider>;
using Process = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.Csp.CspProcessAnalyzer>;

namespace ParallelKit.Analyzers.Tests;

/// <summary>The code fixes of PK4001 (add <c>static</c>) and PK4002 (add <c>partial</c>).</summary>
public sealed class CspCodeFixTests
{
    [Fact]
    public async Task MakesTheProcessStatic()
    {
        await MakeStatic.VerifyAsync(
            """
            using ParallelKit;

            public partial class Net
            {
                [CspProcess]
                public void {|#0:Drain|}(ChannelIn<int> input) { }
            }
            """,
            """
            using ParallelKit;

            public partial class Net
            {
                [CspProcess]
                public static void Drain(ChannelIn<int> input) { }
            }
            """,
            Process.Diagnostic(ProcessMustBeStatic).WithLocation(0).WithArguments("Drain"));
    }

    [Fact]
    public async Task MakesTheTypePartial()
    {
        await MakePartial.VerifyAsync(
            """
            using ParallelKit;

            public static class Net
            {
                [CspProcess]
                public static void {|#0:Drain|}(ChannelIn<int> input) { }
            }
            """,
            """
            using ParallelKit;

            public static partial class Net
            {
                [CspProcess]
                public static void Drain(ChannelIn<int> input) { }
            }
            """,
            Process.Diagnostic(ProcessMustBeInPartialType).WithLocation(0).WithArguments("Drain", "'Net'"));
    }
}
