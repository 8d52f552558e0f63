using System;

namespace ParallelKit;

/// <summary>
/// Marks a class whose instances live in a <see cref="ProcessManager"/>'s process, shared by every process that
/// holds a proxy — Python's <c>BaseManager.register("Account", Account)</c>. The class must be <c>partial</c>. The
/// generator adds, beside it, a static class of extension methods: <c>manager.Account(…)</c>, one per public
/// constructor, which creates an object in the manager and returns a <see cref="ManagedProxy{T}"/>; and one per
/// public instance method of the class (same name, parameters and result) on <see cref="ManagedProxy{T}"/>, which
/// runs the method in the manager process, its arguments and result marshaled with MemoryPack as a job's are.
/// Proxies pass to jobs and processes by handle, and all reach the same object.
/// </summary>
/// <remarks>
/// The manager runs one call at a time, so each method runs as one step that no other process can interleave with
/// (a <c>Deposit</c> that reads and writes a balance needs no lock). A method that blocks blocks the manager for
/// every process. Properties, static members, overrides of <see cref="object"/>'s methods and non-public members
/// are not proxied. Misuse is reported at compile time: PK2009 (the class), PK2010 (a parameter or result that cannot
/// be marshaled), PK2011 (a public method that cannot be proxied: generic, <c>ref</c>/<c>out</c>/<c>in</c>,
/// asynchronous, or named like a member of <see cref="ManagedProxy{T}"/>).
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
/// ManagedProxy&lt;Account&gt; account = manager.Account(100m);
/// account.Deposit(5m);                                       // runs in the manager process
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ManagedTypeAttribute : Attribute
{
}
