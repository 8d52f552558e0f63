using System.Threading.Tasks;
using Xunit;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;
using MakePackable = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.Jobs.ParallelJobAnalyzer,
    ParallelKit.Analyzers.Jobs.MakeTypeMemoryPackableCodeFixProvider>;
using Verify = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.Jobs.ParallelJobAnalyzer>;

namespace ParallelKit.Analyzers.Tests;

/// <summary>The code fix for PK1003 and PK1004: a type of the solution gets <c>[MemoryPackable]</c> and <c>partial</c>.</summary>
public sealed class MemoryPackableCodeFixTests
{
    [Fact]
    public async Task MarksAParameterTypeMemoryPackableAndPartial()
    {
        const string source = """
            using ParallelKit;

            public class Outer
            {
                /// <summary>An order.</summary>
                public class Order { public int Id; public decimal Total; }
            }

            public static partial class Billing
            {
                [ParallelJob]
                public static decimal Tax({|#0:Outer.Order|} order) => order.Total;

                [ParallelJob]
                public static {|#1:Outer.Order[]|} Copy(int id) => [];
            }
            """;
        const string fixedSource = """
            using ParallelKit;
            using MemoryPack;

            public partial class Outer
            {
                /// <summary>An order.</summary>
                [MemoryPackable]
                public partial class Order { public int Id; public decimal Total; }
            }

            public static partial class Billing
            {
                [ParallelJob]
                public static decimal Tax(Outer.Order order) => order.Total;

                [ParallelJob]
                public static Outer.Order[] Copy(int id) => [];
            }
            """;

        await MakePackable.VerifyAsync(
            source,
            fixedSource,
            Verify.Diagnostic(JobParameterCannotBeMarshaled).WithLocation(0).WithArguments("order", "Tax", "Outer.Order", "'Outer.Order' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial"),
            Verify.Diagnostic(JobResultCannotBeMarshaled).WithLocation(1).WithArguments("Copy", "Outer.Order[]", "'Outer.Order' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial"));
    }

    [Fact]
    public async Task OffersNothingForATypeFromAnotherAssemblyOrObject()
    {
        const string source = """
            using ParallelKit;

            public static partial class Billing
            {
                [ParallelJob]
                public static int Tax({|#0:object|} options) => 0;
            }
            """;

        await MakePackable.VerifyAsync(source, source, Verify.Diagnostic(JobParameterCannotBeMarshaled).WithLocation(0).WithArguments("options", "Tax", "object", "'object' has no static shape"));
    }
}
