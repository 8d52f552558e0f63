using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using ParallelKit.Analyzers.Jobs;
using Xunit;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;
using Verify = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.Jobs.ParallelJobAnalyzer>;

namespace ParallelKit.Analyzers.Tests;

/// <summary>PK1001 to PK1016 on <c>[ParallelJob]</c> declarations, and their absence on valid jobs.</summary>
public sealed class ParallelJobAnalyzerTests
{
    private const string Header = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Linq.Expressions;
        using System.Numerics;
        using System.Threading;
        using System.Threading.Tasks;
        using MemoryPack;
        using ParallelKit;

        """;

    [Fact]
    public async Task ValidJobsHaveNoDiagnostics()
    {
        const string source = Header + """
            [MemoryPackable]
            public partial record Point(double X, double Y);

            [MemoryPackable]
            public partial class Box
            {
                public List<Point> Points { get; set; } = [];
            }

            [MemoryPackUnion(0, typeof(Circle))]
            public partial interface IShape;

            [MemoryPackable]
            public partial class Circle : IShape
            {
                public double Radius { get; set; }
            }

            public enum Color { Red, Green }

            public struct Pixel
            {
                public int X;
                public int Y;
                public Color Color;
            }

            public static partial class Jobs1
            {
                [ParallelJob] public static int Primitives(bool a, byte b, sbyte c, short d, ushort e, int f, uint g, long h, ulong i, char j, float k, double l, decimal m, nint n, nuint o) => 0;
                [ParallelJob] public static string Strings(string s, string? maybe) => s;
                [ParallelJob] public static int[] Arrays(int[] a, double[,] b, string[][] c, Point[] d) => a;
                [ParallelJob] public static List<int> Lists(List<int> a, IReadOnlyList<string> b, IEnumerable<long> c, ICollection<Point> d) => a;
                [ParallelJob] public static Dictionary<string, List<double>> Maps(Dictionary<int, string> a, IReadOnlyDictionary<string, Point> b, SortedDictionary<int, int> c, HashSet<Guid> d, ISet<int> e) => [];
                [ParallelJob] public static int Others(Queue<int> a, Stack<string> b, LinkedList<int> c, ImmutableArray<int> d, KeyValuePair<string, int> e, (int, string) f, Tuple<int, Point> g, int? h) => 0;
                [ParallelJob] public static int Values(DateTime a, DateTimeOffset b, TimeSpan c, Guid d, Half e, Int128 f, UInt128 g, BigInteger h, Uri i, Version j, Color k, Pixel l, Color? m) => 0;
                [ParallelJob] public static Point MemoryPackable(Point p, Box b, IShape shape, Point? maybe) => p;
                [ParallelJob] public static async Task<int> TaskOfT(int x, CancellationToken cancellationToken) { await Task.Yield(); return x; }
                [ParallelJob] public static ValueTask<Point> ValueTaskOfT(Point p) => new(p);
                [ParallelJob] public static void Void(CancellationToken cancellationToken) { }
                [ParallelJob] public static Task PlainTask() => Task.CompletedTask;
                [ParallelJob] public static ValueTask PlainValueTask() => default;
                [ParallelJob] public static int Params(params int[] values) => values.Length;
                [ParallelJob] public static int Optional(int x = 1, string? name = null) => x;
            }

            public partial class Outer
            {
                public partial struct Inner
                {
                    [ParallelJob] internal static int Nested(int x) => x;
                }
            }

            public class NotAJob
            {
                // No [ParallelJob]: none of the rules apply.
                public object Anything(ref object o, Func<int> f) => o;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task HandleTypesMarshalByHandle()
    {
        const string source = Header + """
            namespace ParallelKit
            {
                public interface IMarshalByHandle;
            }

            public sealed class Channel<T> : IMarshalByHandle;

            public static partial class Jobs1
            {
                [ParallelJob] public static void Run(Channel<int> channel, IMarshalByHandle handle) { }
                [ParallelJob] public static void Bad({|#0:Channel<object>|} channel) { }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobParameterCannotBeMarshaled).WithLocation(0).WithArguments("channel", "Bad", "Channel<object>", "'object' has no static shape"));
    }

    [Fact]
    public async Task AttributeOfAnotherNamespaceIsIgnored()
    {
        const string source = """
            namespace Other
            {
                [System.AttributeUsage(System.AttributeTargets.Method)]
                public sealed class ParallelJobAttribute : System.Attribute;

                public class NotPartial
                {
                    [ParallelJob] public object Run(ref object o) => o;
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task InstanceJobReportsPK1001()
    {
        const string source = Header + """
            public partial class Primes
            {
                [ParallelJob]
                public int {|#0:Count|}(int from, int to) => to - from;
            }
            """;

        await Verify.VerifyAsync(source, Verify.Diagnostic(JobMustBeStatic).WithLocation(0).WithArguments("Count"));
    }

    [Fact]
    public async Task JobInNonPartialTypeReportsPK1002()
    {
        const string source = Header + """
            public static class {|#1:Primes|}
            {
                [ParallelJob]
                public static int {|#0:Count|}(int from, int to) => to - from;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobMustBeInPartialType).WithLocation(0).WithLocation(1).WithArguments("Count", "'Primes'"));
    }

    [Fact]
    public async Task JobInNonPartialEnclosingTypesReportsPK1002WithEveryType()
    {
        const string source = Header + """
            public class {|#1:Outer|}
            {
                public partial class Middle
                {
                    public struct {|#2:Inner|}
                    {
                        [ParallelJob]
                        public static int {|#0:Count|}(int from, int to) => to - from;
                    }
                }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobMustBeInPartialType).WithLocation(0).WithLocation(1).WithLocation(2).WithArguments("Count", "'Outer' and 'Inner'"));
    }

    [Theory]
    [InlineData("object", "object", "'object' has no static shape")]
    [InlineData("dynamic", "dynamic", "'dynamic' has no static shape")]
    [InlineData("List<dynamic>", "List<dynamic>", "'dynamic' has no static shape")]
    [InlineData("Plain", "Plain", "'Plain' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial")]
    [InlineData("PlainRecord", "PlainRecord", "'PlainRecord' is a record without [MemoryPackable]; mark it [MemoryPackable] and partial")]
    [InlineData("WithReferences", "WithReferences", "'WithReferences' is a struct with reference-type fields without [MemoryPackable]; mark it [MemoryPackable] and partial")]
    [InlineData("IPlain", "IPlain", "'IPlain' is an interface without [MemoryPackUnion]; interfaces and abstract classes need [MemoryPackUnion] listing their implementations")]
    [InlineData("PlainBase", "PlainBase", "'PlainBase' is an abstract class without [MemoryPackUnion]; interfaces and abstract classes need [MemoryPackUnion] listing their implementations")]
    [InlineData("List<Plain>", "List<Plain>", "'Plain' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial")]
    [InlineData("Plain?[]", "Plain?[]", "'Plain' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial")]
    [InlineData("Dictionary<string, object>", "Dictionary<string, object>", "'object' has no static shape")]
    [InlineData("List<Func<int>>", "List<Func<int>>", "'Func<int>' is a delegate; a delegate and the state it captures cannot cross processes")]
    [InlineData("System.Collections.ArrayList", "ArrayList", "'ArrayList' is a non-generic collection of objects with no static shape; use a generic collection")]
    [InlineData("System.Text.RegularExpressions.Regex", "Regex", "'Regex' is a class without [MemoryPackable]; it comes from another assembly, so pass the data it holds in a marshalable type instead")]
    [InlineData("Span<int>", "Span<int>", "'Span<int>' is a ref struct, which lives on the stack; use an array or a collection")]
    [InlineData("int*", "int*", "pointers cannot cross processes")]
    [InlineData("delegate*<int, int>", "delegate*<int, int>", "function pointers cannot cross processes")]
    [InlineData("List<CancellationToken>", "List<CancellationToken>", "a CancellationToken is not marshaled; take it as a parameter of its own and the job's cancellation is passed in its place")]
    public async Task UnmarshalableParameterReportsPK1003(string type, string display, string reason)
    {
        var source = Header + $$"""
            public class Plain;
            public record PlainRecord(int X);
            public struct WithReferences { public string Name; }
            public interface IPlain;
            public abstract class PlainBase;

            public static unsafe partial class Jobs1
            {
                [ParallelJob]
                public static void Run(int ok, {|#0:{{type}}|} value) { }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobParameterCannotBeMarshaled).WithLocation(0).WithArguments("value", "Run", display, reason));
    }

    [Theory]
    [InlineData("object", "object", "'object' has no static shape")]
    [InlineData("dynamic", "dynamic", "'dynamic' has no static shape")]
    [InlineData("Task<dynamic>", "dynamic", "'dynamic' has no static shape")]
    [InlineData("ValueTask<dynamic[]>", "dynamic[]", "'dynamic' has no static shape")]
    [InlineData("Task<Plain>", "Plain", "'Plain' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial")]
    [InlineData("ValueTask<IPlain>", "IPlain", "'IPlain' is an interface without [MemoryPackUnion]; interfaces and abstract classes need [MemoryPackUnion] listing their implementations")]
    [InlineData("Func<int>", "Func<int>", "'Func<int>' is a delegate; a delegate and the state it captures cannot cross processes")]
    [InlineData("Task<Task<int>>", "Task<int>", "'Task<int>' is a class without [MemoryPackable]; it comes from another assembly, so pass the data it holds in a marshalable type instead")]
    public async Task UnmarshalableResultReportsPK1004(string type, string display, string reason)
    {
        var source = Header + $$"""
            public class Plain;
            public interface IPlain;

            public static partial class Jobs1
            {
                [ParallelJob]
                public static {|#0:{{type}}|} Run(int x) => throw null!;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobResultCannotBeMarshaled).WithLocation(0).WithArguments("Run", display, reason));
    }

    [Fact]
    public async Task RefReturnReportsPK1004()
    {
        const string source = Header + """
            public static partial class Jobs1
            {
                private static int s_value;

                [ParallelJob]
                public static {|#0:ref int|} Run() => ref s_value;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobResultCannotBeMarshaled).WithLocation(0).WithArguments("Run", "int", "a reference into the worker's memory cannot cross processes; return the value"));
    }

    [Theory]
    [InlineData("ref", "ref")]
    [InlineData("out", "out")]
    [InlineData("in", "in")]
    [InlineData("ref readonly", "ref readonly")]
    public async Task ByReferenceParameterReportsPK1005(string modifier, string display)
    {
        var source = Header + $$"""
            public static partial class Jobs1
            {
                [ParallelJob]
                public static void Run({{modifier}} int {|#0:value|}) => throw null!;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobParameterByReference).WithLocation(0).WithArguments("value", "Run", display));
    }

    [Theory]
    [InlineData("Func<int, int>")]
    [InlineData("Action")]
    [InlineData("Expression<Func<int, bool>>")]
    [InlineData("Callback")]
    [InlineData("Delegate")]
    [InlineData("LambdaExpression")]
    public async Task DelegateParameterReportsPK1006(string type)
    {
        var source = Header + $$"""
            public delegate void Callback(int x);

            public static partial class Jobs1
            {
                [ParallelJob]
                public static void Run({|#0:{{type}}|} callback) { }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobParameterIsDelegate).WithLocation(0).WithArguments("callback", "Run", type));
    }

    [Fact]
    public async Task GenericJobReportsPK1007Only()
    {
        const string source = Header + """
            public static partial class Jobs1
            {
                [ParallelJob]
                public static T {|#0:Echo|}<T>(T value, List<T> values) => value;
            }
            """;

        await Verify.VerifyAsync(source, Verify.Diagnostic(JobMustNotBeGeneric).WithLocation(0).WithArguments("Echo"));
    }

    [Fact]
    public async Task JobInGenericTypeReportsPK1008Only()
    {
        const string source = Header + """
            public partial class Outer<T>
            {
                public static partial class Inner
                {
                    [ParallelJob]
                    public static T {|#0:Echo|}(T value, int count) => value;
                }
            }
            """;

        await Verify.VerifyAsync(source, Verify.Diagnostic(JobInGenericType).WithLocation(0).WithArguments("Echo", "Outer<T>"));
    }

    [Theory]
    [InlineData("public static int {|#1:Jobs|} => 0;")]
    [InlineData("public static void {|#1:Jobs|}() { }")]
    [InlineData("public static class {|#1:Jobs|} { }")]
    [InlineData("private int {|#1:Jobs|};")]
    public async Task MemberNamedJobsReportsPK1009(string member)
    {
        var source = Header + $$"""
            public partial class Primes
            {
                {{member}}

                [ParallelJob]
                public static int {|#0:Count|}(int from, int to) => to - from;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobsMemberNameConflict).WithLocation(0).WithLocation(1).WithArguments("Primes", "Count"));
    }

    [Fact]
    public async Task GeneratedJobsClassIsNotAConflict()
    {
        var test = new AnalyzerVerifier<ParallelJobAnalyzer>.Test
        {
            TestCode = Header + """
                public static partial class Primes
                {
                    [ParallelJob]
                    public static int Count(int from, int to) => to - from;
                }
                """,
        };

        // What the generator adds to the same type, as it appears to the analyzer.
        test.TestState.Sources.Add((
            "ParallelKit.Generators/Primes.Jobs.cs",
            """
            // <auto-generated/>
            #nullable enable
            public static partial class Primes
            {
                public static class Jobs
                {
                }
            }
            """));

        await test.RunAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task SecondCancellationTokenReportsPK1010()
    {
        const string source = Header + """
            public static partial class Jobs1
            {
                [ParallelJob]
                public static void Run(CancellationToken first, int x, CancellationToken {|#0:second|}, CancellationToken {|#1:third|}) { }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobHasSeveralCancellationTokens).WithLocation(0).WithArguments("Run", "second"),
            Verify.Diagnostic(JobHasSeveralCancellationTokens).WithLocation(1).WithArguments("Run", "third"));
    }

    [Fact]
    public async Task OverloadsDifferingOnlyInCancellationTokensReportPK1011OnEach()
    {
        const string source = Header + """
            public static partial class Jobs1
            {
                [ParallelJob]
                public static int {|#0:M|}(int x, CancellationToken cancellationToken) => x;

                [ParallelJob]
                public static int {|#1:M|}(int x) => x;

                [ParallelJob]
                public static void {|#2:Ping|}() { }

                [ParallelJob]
                public static void {|#3:Ping|}(CancellationToken cancellationToken) { }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobFactoryConflict).WithLocation(0).WithLocation(1).WithArguments("M(int, CancellationToken)", "M(int)", "M(int)"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(1).WithLocation(0).WithArguments("M(int)", "M(int, CancellationToken)", "M(int)"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(2).WithLocation(3).WithArguments("Ping()", "Ping(CancellationToken)", "Ping()"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(3).WithLocation(2).WithArguments("Ping(CancellationToken)", "Ping()", "Ping()"));
    }

    [Fact]
    public async Task FactoriesThatCSharpCannotTellApartReportPK1011()
    {
        // Tuple element names, nullable annotations, params and nint/IntPtr do not make two signatures different.
        const string source = Header + """
            public static partial class Jobs1
            {
                [ParallelJob]
                public static int {|#0:Pair|}((int A, int B) pair, CancellationToken cancellationToken) => pair.A;

                [ParallelJob]
                public static int {|#1:Pair|}((int C, int D) pair) => pair.C;

                [ParallelJob]
                public static int {|#2:Text|}(CancellationToken cancellationToken, string? text) => 0;

                [ParallelJob]
                public static int {|#3:Text|}(string text) => 0;

                [ParallelJob]
                public static int {|#4:Sum|}(params int[] values) => 0;

                [ParallelJob]
                public static int {|#5:Sum|}(int[] values, CancellationToken cancellationToken) => 0;

                [ParallelJob]
                public static int {|#6:Native|}(nint value) => 0;

                [ParallelJob]
                public static int {|#7:Native|}(IntPtr value, CancellationToken cancellationToken) => 0;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobFactoryConflict).WithLocation(0).WithLocation(1).WithArguments("Pair((int A, int B), CancellationToken)", "Pair((int C, int D))", "Pair((int A, int B))"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(1).WithLocation(0).WithArguments("Pair((int C, int D))", "Pair((int A, int B), CancellationToken)", "Pair((int C, int D))"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(2).WithLocation(3).WithArguments("Text(CancellationToken, string?)", "Text(string)", "Text(string?)"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(3).WithLocation(2).WithArguments("Text(string)", "Text(CancellationToken, string?)", "Text(string)"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(4).WithLocation(5).WithArguments("Sum(int[])", "Sum(int[], CancellationToken)", "Sum(int[])"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(5).WithLocation(4).WithArguments("Sum(int[], CancellationToken)", "Sum(int[])", "Sum(int[])"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(6).WithLocation(7).WithArguments("Native(nint)", "Native(nint, CancellationToken)", "Native(nint)"),
            Verify.Diagnostic(JobFactoryConflict).WithLocation(7).WithLocation(6).WithArguments("Native(nint, CancellationToken)", "Native(nint)", "Native(nint)"));
    }

    [Fact]
    public async Task OverloadsWithDistinctFactoriesHaveNoPK1011()
    {
        const string source = Header + """
            public static partial class Jobs1
            {
                [ParallelJob]
                public static int M(int x, CancellationToken cancellationToken) => x;

                [ParallelJob]
                public static int M(long x) => 0;

                [ParallelJob]
                public static int M(int x, int y, CancellationToken cancellationToken) => x;

                // Not a job: it gets no factory, so it cannot clash with one.
                public static int M(int x) => x;

                [ParallelJob]
                public static int MCall(int x) => x;
            }

            public static partial class Jobs2
            {
                // Another type has its own Jobs class.
                [ParallelJob]
                public static int M(int x) => x;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task JobInTypeNamedJobsReportsPK1012()
    {
        const string source = Header + """
            namespace Demo
            {
                public static partial class {|#1:Jobs|}
                {
                    [ParallelJob]
                    public static int {|#0:Run|}(int x) => x;
                }

                public partial class Outer
                {
                    public partial class {|#3:Jobs|}
                    {
                        [ParallelJob]
                        public static int {|#2:Nested|}(int x) => x;
                    }
                }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobInTypeNamedJobs).WithLocation(0).WithLocation(1).WithArguments("Run"),
            Verify.Diagnostic(JobInTypeNamedJobs).WithLocation(2).WithLocation(3).WithArguments("Nested"));
    }

    [Fact]
    public async Task JobInTypeNestedInATypeNamedJobsHasNoPK1012()
    {
        // Only the type that declares the job gets the nested class Jobs; Jobs.Inner.Jobs is a valid name.
        const string source = Header + """
            namespace Demo.Jobs
            {
                public partial class Jobs
                {
                    public static partial class Inner
                    {
                        [ParallelJob]
                        public static int Run(int x) => x;
                    }
                }

                public static partial class JobsHost
                {
                    [ParallelJob]
                    public static int Run(int x) => x;
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task JobInFileLocalTypeReportsPK1013()
    {
        const string source = Header + """
            file static partial class {|#1:Local|}
            {
                [ParallelJob]
                public static int {|#0:Run|}(int x) => x;
            }

            file partial class {|#3:Outer|}
            {
                internal static partial class Inner
                {
                    [ParallelJob]
                    public static int {|#2:Nested|}(int x) => x;
                }
            }

            internal static partial class NotFileLocal
            {
                [ParallelJob]
                public static int Run(int x) => x;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobInFileLocalType).WithLocation(0).WithLocation(1).WithArguments("Run", "Local"),
            Verify.Diagnostic(JobInFileLocalType).WithLocation(2).WithLocation(3).WithArguments("Nested", "Outer"));
    }

    [Theory]
    [InlineData("public static int Use() { return L(1); [{|#0:ParallelJob|}] static int L(int x) => x; }", "the local function 'L(int)'")]
    [InlineData("public static Func<int, int> Use() => [{|#0:ParallelJob|}] (int x) => x;", "a lambda expression")]
    [InlineData("public static Func<int, int> Use() => [{|#0:ParallelJob|}] static (int x) => x;", "a lambda expression")]
    [InlineData("[{|#0:ParallelJob|}] public static Holder operator +(Holder a, Holder b) => a;", "the operator 'Holder.operator +(Holder, Holder)'")]
    [InlineData("[{|#0:ParallelJob|}] public static explicit operator int(Holder h) => 0;", "the conversion operator 'Holder.explicit operator int(Holder)'")]
    [InlineData("public static int Count { [{|#0:ParallelJob|}] get => 0; }", "the property accessor 'Holder.Count.get'")]
    [InlineData("public int this[int i] { [{|#0:ParallelJob|}] get => i; }", "the property accessor 'Holder.this[int].get'")]
    [InlineData("public static event Action? Changed { [{|#0:ParallelJob|}] add { } remove { } }", "the event accessor 'Holder.Changed.add'")]
    [InlineData("[{|#0:ParallelJob|}] ~Holder() { }", "the finalizer 'Holder.~Holder()'")]
    [InlineData("[{|#0:ParallelJob|}] static int ICounter.Count(int x) => x;", "the explicit interface implementation 'Holder.ICounter.Count(int)'")]
    public async Task JobOnANonOrdinaryMethodReportsPK1014(string member, string what)
    {
        var source = Header + $$"""
            public interface ICounter
            {
                static abstract int Count(int x);
            }

            public partial class Holder : ICounter
            {
                {{(member.Contains("ICounter.", System.StringComparison.Ordinal) ? string.Empty : "static int ICounter.Count(int x) => x;")}}

                {{member}}
            }
            """;

        await Verify.VerifyAsync(source, Verify.Diagnostic(JobMustBeOrdinaryMethod).WithLocation(0).WithArguments(what));
    }

    [Fact]
    public async Task StaticAbstractAndVirtualInterfaceJobsReportPK1014()
    {
        const string source = Header + """
            public partial interface ICounter
            {
                [{|#0:ParallelJob|}]
                static abstract int Count(int x);

                [{|#1:ParallelJob|}]
                static virtual int Twice(int x) => 2 * x;

                // A static interface method with a body that is neither abstract nor virtual is an ordinary job.
                [ParallelJob]
                static int Plain(int x) => x;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobMustBeOrdinaryMethod).WithLocation(0).WithArguments("the static abstract interface member 'ICounter.Count(int)'"),
            Verify.Diagnostic(JobMustBeOrdinaryMethod).WithLocation(1).WithArguments("the static virtual interface member 'ICounter.Twice(int)'"));
    }

    [Fact]
    public async Task LocalFunctionsAndLambdasWithoutTheAttributeHaveNoPK1014()
    {
        const string source = Header + """
            public static partial class Jobs1
            {
                [ParallelJob]
                public static int Run(int x)
                {
                    Func<int, int> twice = [Obsolete] (int y) => 2 * y;
                    return Local(twice(x));

                    static int Local(int y) => y + 1;
                }

                public static int Count { get => 0; }

                public static Func<int, int> Make() => x => x;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Theory]
    [InlineData("Step step", "int", "private")]
    [InlineData("int x", "Task<List<Step>>", "private")]
    [InlineData("Step[] steps", "int", "private")]
    public async Task JobTakingOrReturningAPrivateTypeReportsPK1016(string parameters, string result, string display)
    {
        var source = Header + $$"""
            public static partial class Pipeline
            {
                [MemoryPackable]
                {{display}} sealed partial record Step(int Value);

                [ParallelJob]
                private static {{result}} {|#0:Run|}({{parameters}}) => default!;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobSignatureTypeInaccessible).WithLocation(0).WithArguments("Run", $"the {display} type 'Step'"));
    }

    [Fact]
    public async Task JobTakingAnInternalNestedTypeIsFine()
    {
        const string source = Header + """
            public static partial class Pipeline
            {
                [MemoryPackable]
                internal sealed partial record Step(int Value);

                [ParallelJob]
                private static int Run(Step step) => step.Value;
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Theory]
    [InlineData("private", "private")]
    [InlineData("protected", "protected")]
    [InlineData("private protected", "private protected")]
    public async Task JobInPrivateOrProtectedTypeReportsPK1015(string modifier, string display)
    {
        var source = Header + $$"""
            public partial class Host
            {
                {{modifier}} static partial class {|#1:Hidden|}
                {
                    [ParallelJob]
                    internal static int {|#0:Secret|}(int x) => x;
                }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobInInaccessibleType).WithLocation(0).WithLocation(1).WithArguments("Secret", $"the {display} type 'Hidden'"));
    }

    [Fact]
    public async Task JobInSeveralInaccessibleTypesReportsPK1015WithEveryType()
    {
        const string source = Header + """
            internal partial class Host
            {
                private partial class {|#1:Outer|}
                {
                    internal partial class Middle
                    {
                        protected static partial class {|#2:Inner|}
                        {
                            [ParallelJob]
                            public static int {|#0:Secret|}(int x) => x;
                        }
                    }
                }
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobInInaccessibleType).WithLocation(0).WithLocation(1).WithLocation(2)
                .WithArguments("Secret", "the private type 'Outer' and the protected type 'Inner'"));
    }

    [Fact]
    public async Task JobInPublicInternalOrProtectedInternalTypeHasNoPK1015()
    {
        const string source = Header + """
            internal partial class Host
            {
                public static partial class Open
                {
                    [ParallelJob]
                    public static int Run(int x) => x;
                }

                internal static partial class Assembly
                {
                    [ParallelJob]
                    private static int Run(int x) => x;

                    internal static int Call(int x) => Run(x);
                }

                protected internal partial class Family
                {
                    [ParallelJob]
                    protected internal static int Run(int x) => x;
                }
            }
            """;

        await Verify.VerifyAsync(source);
    }

    [Fact]
    public async Task EveryProblemOfOneJobIsReported()
    {
        const string source = Header + """
            public class {|#1:Service|}
            {
                [ParallelJob]
                public {|#5:object|} {|#0:Run|}({|#2:object|} state, ref int {|#3:count|}, {|#4:Action|} done) => state;
            }
            """;

        await Verify.VerifyAsync(
            source,
            Verify.Diagnostic(JobMustBeStatic).WithLocation(0).WithArguments("Run"),
            Verify.Diagnostic(JobMustBeInPartialType).WithLocation(0).WithLocation(1).WithArguments("Run", "'Service'"),
            Verify.Diagnostic(JobParameterCannotBeMarshaled).WithLocation(2).WithArguments("state", "Run", "object", "'object' has no static shape"),
            Verify.Diagnostic(JobParameterByReference).WithLocation(3).WithArguments("count", "Run", "ref"),
            Verify.Diagnostic(JobParameterIsDelegate).WithLocation(4).WithArguments("done", "Run", "Action"),
            Verify.Diagnostic(JobResultCannotBeMarshaled).WithLocation(5).WithArguments("Run", "object", "'object' has no static shape"));
    }

    [Fact]
    public void EveryDescriptorIsAnErrorWithItsHelpPage()
    {
        var analyzer = new ParallelJobAnalyzer();
        Assert.Equal(16, analyzer.SupportedDiagnostics.Length);
        foreach (var descriptor in analyzer.SupportedDiagnostics)
        {
            Assert.Matches("^PK10(0[1-9]|1[0-6])$", descriptor.Id);
            Assert.Equal(JobsCategory, descriptor.Category);
            Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Error, descriptor.DefaultSeverity);
            Assert.True(descriptor.IsEnabledByDefault);
            Assert.Equal($"https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
        }
    }
}
