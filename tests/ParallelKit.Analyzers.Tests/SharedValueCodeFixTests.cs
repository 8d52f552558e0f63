using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;
using Fix = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.SharedValues.SharedValueAccessAnalyzer,
    ParallelKit.Analyzers.SharedValues.SharedValueLockCodeFixProvider>;
using MakePartial = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.SharedValues.SharedValueDeclarationAnalyzer,
    ParallelKit.Analyzers.Jobs.MakeContainingTypesPartialCodeFixProvider>;
using MakePropertyPartial = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.SharedValues.SharedValueDeclarationAnalyzer,
    ParallelKit.Analyzers.SharedValues.MakeSharedValuePartialCodeFixProvider>;
using Verify = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.SharedValues.SharedValueAccessAnalyzer>;

namespace ParallelKit.Analyzers.Tests;

/// <summary>The PK2007 code fixes (use the atomic helper, or wrap in <c>Lock()</c>) and the PK2002 fix (add <c>partial</c>).</summary>
public sealed class SharedValueCodeFixTests
{
    private const string HelperKey = "SharedValueLockCodeFixProvider.Helper";
    private const string LockKey = "SharedValueLockCodeFixProvider.Lock";

    [Fact]
    public async Task IncrementAndAddUseTheGeneratedHelpers()
    {
        await RunAsync(
            """
            public static class Usage
            {
                public static void Use(Counter c)
                {
                    // Count one more.
                    {|#0:c.Count++|};
                    {|#1:c.Count += 2 * 3|};
                    {|#2:c.Best += 0.5|};
                }
            }
            """,
            """
            public static class Usage
            {
                public static void Use(Counter c)
                {
                    // Count one more.
                    c.IncrementCount();
                    c.AddCount(2 * 3);
                    c.AddBest(0.5);
                }
            }
            """,
            HelperKey,
            Verify.Diagnostic(SharedValueReadModifyWrite).WithLocation(0).WithArguments("c.Count++", "Counter.Count", "c", ", or call 'IncrementCount()'"),
            Verify.Diagnostic(SharedValueReadModifyWrite).WithLocation(1).WithArguments("c.Count += 2 * 3", "Counter.Count", "c", ", or call 'AddCount(2 * 3)'"),
            Verify.Diagnostic(SharedValueReadModifyWrite).WithLocation(2).WithArguments("c.Best += 0.5", "Counter.Best", "c", ", or call 'AddBest(0.5)'"));
    }

    [Fact]
    public async Task OtherUpdatesAreWrappedInLock()
    {
        await RunAsync(
            """
            public static class Usage
            {
                public static void Use(Counter c, SharedValue<int> v)
                {
                    {|#0:c.Best = c.Best * 2|};
                    {|#1:v.Value++|};
                    {|#2:c.Count++|};
                }
            }
            """,
            """
            public static class Usage
            {
                public static void Use(Counter c, SharedValue<int> v)
                {
                    using (c.Lock())
                    {
                        c.Best = c.Best * 2;
                    }
                    using (v.Lock())
                    {
                        v.Value++;
                    }
                    using (c.Lock())
                    {
                        c.Count++;
                    }
                }
            }
            """,
            LockKey,
            Verify.Diagnostic(SharedValueReadModifyWrite).WithLocation(0).WithArguments("c.Best = c.Best * 2", "Counter.Best", "c", string.Empty),
            Verify.Diagnostic(SharedValueReadModifyWrite).WithLocation(1).WithArguments("v.Value++", "SharedValue.Value", "v", string.Empty),
            Verify.Diagnostic(SharedValueReadModifyWrite).WithLocation(2).WithArguments("c.Count++", "Counter.Count", "c", ", or call 'IncrementCount()'"));
    }

    [Fact]
    public async Task AddsPartialToTheTypesOfASharedValue()
    {
        var test = new MakePartial.Test
        {
            TestCode = """
                using ParallelKit;

                public class {|#1:Stats|}
                {
                    [SharedValue] public partial int {|#0:Hits|} { get; set; }
                }
                """,
            FixedCode = """
                using ParallelKit;

                public partial class Stats
                {
                    [SharedValue] public partial int Hits { get; set; }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(SharedValueMustBeInPartialType).WithLocation(0).WithLocation(1).WithArguments("Hits", "'Stats'"));
        await test.RunAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task MakesAnAutoPropertyPartialButLeavesOneWithBodies()
    {
        var test = new MakePropertyPartial.Test
        {
            TestCode = """
                using ParallelKit;

                public partial class Stats
                {
                    /// <summary>Hits.</summary>
                    [SharedValue] public int {|#0:Hits|} { get; private set; }

                    [SharedValue] public int {|#1:Misses|} { get => 0; set { } }
                }
                """,
            FixedCode = """
                using ParallelKit;

                public partial class Stats
                {
                    /// <summary>Hits.</summary>
                    [SharedValue] public partial int Hits { get; private set; }

                    [SharedValue] public int {|#1:Misses|} { get => 0; set { } }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(SharedValuePropertyMustBePartial).WithLocation(0).WithArguments("Hits"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(SharedValuePropertyMustBePartial).WithLocation(1).WithArguments("Misses"));
        test.FixedState.ExpectedDiagnostics.Add(Verify.Diagnostic(SharedValuePropertyMustBePartial).WithLocation(1).WithArguments("Misses"));
        await test.RunAsync(TestContext.Current.CancellationToken);
    }

    private static Task RunAsync(string usage, string fixedUsage, string equivalenceKey, params DiagnosticResult[] expected)
    {
        const string header = "using ParallelKit;\n\n";
        var test = new Fix.Test { CodeActionEquivalenceKey = equivalenceKey };
        test.TestState.Sources.Add(("Counter.cs", SharedValueAnalyzerTests.Counter));
        test.TestState.Sources.Add(("Counter.g.cs", SharedValueAnalyzerTests.GeneratedCounter));
        test.TestState.Sources.Add(("Usage.cs", header + usage));
        test.FixedState.Sources.Add(("Counter.cs", SharedValueAnalyzerTests.Counter));
        test.FixedState.Sources.Add(("Counter.g.cs", SharedValueAnalyzerTests.GeneratedCounter));
        test.FixedState.Sources.Add(("Usage.cs", header + fixedUsage));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(TestContext.Current.CancellationToken);
    }
}
