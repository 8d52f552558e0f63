using System.Threading.Tasks;
using Xunit;
using static ParallelKit.Analyzers.ManagedTypes.ManagedTypeDiagnostics;
using Verify = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.ManagedTypes.ManagedTypeAnalyzer>;

namespace ParallelKit.Analyzers.Tests;

/// <summary>PK2009 to PK2011 on <c>[ManagedType]</c> classes.</summary>
public sealed class ManagedTypeAnalyzerTests
{
    [Fact]
    public async Task AValidManagedTypeHasNoDiagnostics()
    {
        await Verify.VerifyAsync("""
            using System.Collections.Generic;
            using MemoryPack;
            using ParallelKit;

            [MemoryPackable]
            public partial record Entry(string Key, int Value);

            [ManagedType]
            public partial class Store
            {
                private readonly Dictionary<string, int> _values = new();

                public Store() { }

                public Store(int capacity, string name = "store") { }

                public int Add(string key, int value) => _values[key] = value;

                public Entry[] All(Entry[] extra, List<int> more, SharedDictionary<string, int> elsewhere) => extra;

                public void Clear() => _values.Clear();

                public override string ToString() => "store";

                public static Store Make() => new();

                internal int Hidden(System.Action notProxied) => 0;

                private int Count => _values.Count;
            }
            """);
    }

    [Fact]
    public async Task AClassTheManagerCannotCreateIsAnError()
    {
        await Verify.VerifyAsync("""
            using ParallelKit;

            [ManagedType]
            public class {|#0:NotPartial|} { }

            [ManagedType]
            public abstract partial class {|#1:Abstract|} { }

            [ManagedType]
            public partial class {|#2:Generic|}<T> { }

            [ManagedType]
            public partial class {|#3:NoPublicConstructor|}
            {
                private NoPublicConstructor() { }
            }

            public partial class Outer
            {
                [ManagedType]
                private partial class {|#4:Hidden|} { }
            }

            [ManagedType]
            public partial class {|#5:Dictionary|} { }
            """,
            Verify.Diagnostic(InvalidManagedType).WithLocation(0).WithArguments("NotPartial", "it must be partial (the generator adds the manager's side to it)"),
            Verify.Diagnostic(InvalidManagedType).WithLocation(1).WithArguments("Abstract", "it must be a concrete class the manager can create (not static or abstract)"),
            Verify.Diagnostic(InvalidManagedType).WithLocation(2).WithArguments("Generic", "it must not be generic, nor nested in a generic type (the manager creates it by name)"),
            Verify.Diagnostic(InvalidManagedType).WithLocation(3).WithArguments("NoPublicConstructor", "it needs a public constructor (the manager creates it with one)"),
            Verify.Diagnostic(InvalidManagedType).WithLocation(4).WithArguments("Hidden", "it, and every type enclosing it, must be public or internal (its proxy's generated extension methods and registration need to reach it)"),
            Verify.Diagnostic(InvalidManagedType).WithLocation(5).WithArguments("Dictionary", "ProcessManager has a member named 'Dictionary', so the generated 'manager.Dictionary(…)' that creates it would never be called"));
    }

    [Fact]
    public async Task ParametersAndResultsThatCannotCrossAreErrors()
    {
        await Verify.VerifyAsync("""
            using System;
            using System.Threading;
            using ParallelKit;

            public class Plain { }

            [ManagedType]
            public partial class Service
            {
                public Service(Func<int> {|#0:factory|}) { }

                public Plain {|#1:Get|}() => new();

                public void Put(Plain {|#2:value|}) { }

                public void Wait(CancellationToken {|#3:token|}) { }
            }
            """,
            Verify.Diagnostic(ManagedMemberCannotBeMarshaled).WithLocation(0).WithArguments("parameter 'factory'", "Service constructor", "System.Func<int>", "a delegate or expression tree is code, which cannot cross a process boundary"),
            Verify.Diagnostic(ManagedMemberCannotBeMarshaled).WithLocation(1).WithArguments("result", "Service.Get", "Plain", "'Plain' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial"),
            Verify.Diagnostic(ManagedMemberCannotBeMarshaled).WithLocation(2).WithArguments("parameter 'value'", "Service.Put", "Plain", "'Plain' is a class without [MemoryPackable]; mark it [MemoryPackable] and partial"),
            Verify.Diagnostic(ManagedMemberCannotBeMarshaled).WithLocation(3).WithArguments("parameter 'token'", "Service.Wait", "System.Threading.CancellationToken", "a CancellationToken belongs to this process (the manager runs each call to its end)"));
    }

    [Fact]
    public async Task MethodsTheProxyCannotExposeAreWarnings()
    {
        await Verify.VerifyAsync("""
            using System.Threading.Tasks;
            using ParallelKit;

            [ManagedType]
            public partial class Service
            {
                private int _value;

                public T {|#0:Echo|}<T>(T value) => value;

                public void {|#1:Read|}(out int value) => value = _value;

                public ref int {|#2:Slot|}() => ref _value;

                public Task<int> {|#3:GetAsync|}() => Task.FromResult(_value);

                public void {|#4:Dispose|}() { }
            }
            """,
            Verify.Diagnostic(ManagedMethodNotProxied).WithLocation(0).WithArguments("Service.Echo", "it is generic (the manager calls it by index, with arguments of known types)"),
            Verify.Diagnostic(ManagedMethodNotProxied).WithLocation(1).WithArguments("Service.Read", "it has a ref, out or in parameter (only values cross to the manager and back)"),
            Verify.Diagnostic(ManagedMethodNotProxied).WithLocation(2).WithArguments("Service.Slot", "it returns by reference (a reference into the manager's memory cannot cross)"),
            Verify.Diagnostic(ManagedMethodNotProxied).WithLocation(3).WithArguments("Service.GetAsync", "it is asynchronous (the manager runs one call at a time to its end; return the value itself)"),
            Verify.Diagnostic(ManagedMethodNotProxied).WithLocation(4).WithArguments("Service.Dispose", "ManagedProxy<T> has a member named 'Dispose' of its own, which would hide the generated one"));
    }
}
