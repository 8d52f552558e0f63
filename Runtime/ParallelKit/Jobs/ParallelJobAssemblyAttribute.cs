using System;
using System.ComponentModel;

namespace ParallelKit;

/// <summary>
/// Emitted by the ParallelKit generator into every assembly that declares jobs: names the generated
/// job table so that an executable's worker entrypoint can register the jobs of the libraries it references.
/// </summary>
/// <param name="jobTable">The generated static class whose <c>Register()</c> method registers the assembly's jobs.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class ParallelJobAssemblyAttribute(Type jobTable) : Attribute
{
    /// <summary>The generated job table of the assembly.</summary>
    public Type JobTable { get; } = jobTable;
}
