namespace ParallelKit.Tests.JobLibrary;

/// <summary>A managed type declared in a library: the manager process loads this assembly to create it.</summary>
[ManagedType]
public partial class LibraryTally
{
    private readonly string _assembly = typeof(LibraryTally).Assembly.GetName().Name ?? string.Empty;
    private long _total;

    /// <summary>Adds to the total and returns it.</summary>
    public long Add(long amount) => _total += amount;

    /// <summary>The assembly the object's code came from, in the manager.</summary>
    public string Assembly() => _assembly;
}
