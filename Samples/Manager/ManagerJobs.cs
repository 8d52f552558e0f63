using MemoryPack;
using ParallelKit;

namespace ManagerSample;

/// <summary>The target the child process runs.</summary>
public static partial class ManagerJobs
{
    /// <summary>Fills the dictionary with Python's mixed keys and values, and reverses the list.</summary>
    [ParallelJob]
    public static void F(SharedDictionary<PyObject, PyObject> d, SharedList<int> l)
    {
        d[PyObject.Int(1)] = PyObject.Str("1");
        d[PyObject.Str("2")] = PyObject.Int(2);
        d[PyObject.Float(0.25)] = PyObject.None;
        l.Reverse();
    }
}

/// <summary>
/// Just enough of a Python value for the example's mixed keys and values: an int, a float, a str or None,
/// printed the way Python prints it.
/// </summary>
[MemoryPackable]
public readonly partial record struct PyObject(char Kind, long Integer, double Number, string? Text)
{
    /// <summary>Python's None.</summary>
    public static PyObject None => new('n', 0, 0, null);

    /// <summary>A Python int.</summary>
    public static PyObject Int(long value) => new('i', value, 0, null);

    /// <summary>A Python float.</summary>
    public static PyObject Float(double value) => new('f', 0, value, null);

    /// <summary>A Python str.</summary>
    public static PyObject Str(string value) => new('s', 0, 0, value);

    /// <summary>Python's repr().</summary>
    public override string ToString() => Kind switch
    {
        'i' => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        'f' => Number.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        's' => $"'{Text}'",
        _ => "None",
    };
}
