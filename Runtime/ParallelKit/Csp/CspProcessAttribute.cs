using System;

namespace ParallelKit;

/// <summary>
/// Marks a static method of a partial type as a CSP process (PyCSP's <c>@process</c>): the generator adds
/// <c>Type.Processes.Method(...)</c>, which returns a <see cref="CspProcessCall"/> to run with
/// <see cref="Csp.Parallel(CspProcessCall[])"/>, <see cref="Csp.Sequence(CspProcessCall[])"/> or
/// <see cref="Csp.Spawn(CspProcessCall)"/>, in this process or (<see cref="CspProcessCall.InOsProcess"/>) in
/// its own OS process. The method returns <c>void</c>, a value, <see cref="System.Threading.Tasks.Task"/>,
/// <see cref="System.Threading.Tasks.Task{TResult}"/>, <see cref="System.Threading.Tasks.ValueTask"/> or
/// <see cref="System.Threading.Tasks.ValueTask{TResult}"/>; a <see cref="System.Threading.CancellationToken"/>
/// parameter receives the token of the network it runs in.
/// </summary>
/// <remarks>
/// When the process ends, the channel ends it was given (its parameters, arrays and lists of ends included)
/// are retired; when it ends with an uncaught <see cref="ChannelPoisonedException"/> they are poisoned
/// instead. Set <see cref="Propagate"/> to <see langword="false"/> to manage them yourself.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class CspProcessAttribute : Attribute
{
    /// <summary>
    /// Whether the ends given to the process are retired when it ends (poisoned when it ends with an uncaught
    /// poison); <see langword="true"/> by default.
    /// </summary>
    public bool Propagate { get; set; } = true;
}
