using System;

namespace ParallelKit;

/// <summary>
/// Marks a class whose instances live in a <see cref="ProcessManager"/>'s process, shared by every process that
/// holds a proxy — Python's <c>BaseManager.register("Counter", Counter)</c>. The class must be <c>partial</c>; the
/// generator adds a nested <c>Proxy</c> class with one method per public instance method of the class (same name,
/// parameters and result) and one <c>Proxy.Create(manager, …)</c> per public constructor. A proxy call runs the
/// method in the manager process, its arguments and result marshaled with MemoryPack as a job's are; proxies pass
/// to jobs and processes by handle, and all reach the same object.
/// </summary>
/// <remarks>
/// The manager runs one call at a time, so each method runs as one step that no other process can interleave with
/// (a <c>Deposit</c> that reads and writes a balance needs no lock). A method that blocks blocks the manager for
/// every process. Properties, static members and non-public members are not proxied. Misuse is reported at compile
/// time: PK2009 (the class), PK2010 (a parameter or result that cannot be marshaled), PK2011 (a method that cannot
/// be proxied: generic, <c>ref</c>/<c>out</c>, asynchronous, or named like a proxy member).
/// </remarks>
/// <example>
/// <code>
/// [ManagedType]
/// public partial class Account(decimal opening)
/// {
///     private decimal _balance = opening;
///     public decimal Deposit(decimal amount) => _balance += amount;
/// }
///
/// using var manager = ProcessManager.Start();
/// Account.Proxy account = Account.Proxy.Create(manager, 100m);
/// account.Deposit(5m);                                       // runs in the manager process
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ManagedTypeAttribute : Attribute
{
}
