using System;
using System.ComponentModel;
using System.Threading;
using MemoryPack;
using ParallelKit.Manager;
using ParallelKit.SharedMemory;

namespace ParallelKit;

/// <summary>
/// A proxy to one <typeparamref name="T"/> object that lives in a <see cref="ProcessManager"/>'s process, where
/// <typeparamref name="T"/> is a <see cref="ManagedTypeAttribute">[ManagedType]</see> class. Its methods are the
/// generated extension methods of the same names as <typeparamref name="T"/>'s public methods, each a round trip
/// that runs the method in the manager; it is created by the generated <c>manager.T(…)</c> extension (one per public
/// constructor). It crosses to jobs and processes by handle (every copy reaches the same object).
/// </summary>
/// <typeparam name="T">The managed class.</typeparam>
public sealed class ManagedProxy<T> : IMarshalByHandle, IMemoryPackFormatterRegister, IDisposable
    where T : class
{
    private readonly ManagerClient _client;
    private readonly int _id;
    private int _disposed;

    internal ManagedProxy(ManagerClient client, int id)
    {
        _client = client;
        _id = id;
    }

    /// <inheritdoc />
    public string HandleName => _client.HandleOf(_id);

    /// <summary>The id of the manager process that holds the object.</summary>
    public int ManagerPid => _client.ManagerPid;

    /// <summary>
    /// Lets go of this proxy: later calls through it throw <see cref="ObjectDisposedException"/>. The object stays in
    /// the manager (other proxies still reach it) until the manager stops.
    /// </summary>
    public void Dispose() => Interlocked.Exchange(ref _disposed, 1);

    /// <summary>Runs method <paramref name="method"/> of the object in the manager. Used by generated code.</summary>
    /// <param name="method">Which proxied method, in declaration order.</param>
    /// <param name="name">Its name, for errors.</param>
    /// <param name="arguments">Its arguments, each made by <see cref="ManagedTypes.Pack{TValue}"/>.</param>
    /// <returns>The marshaled result (empty for none).</returns>
    /// <exception cref="ManagedCallException">The method threw in the manager.</exception>
    /// <exception cref="ObjectDisposedException">This proxy was disposed.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public byte[] Invoke(int method, string name, byte[][] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var values = new byte[arguments.Length + 1][];
        values[0] = ManagerProtocol.Int(method);
        arguments.CopyTo(values, 1);
        return _client.CallManaged(_id, name, values) is [var result, ..] ? result : [];
    }

    /// <inheritdoc />
    public override string ToString() => $"{typeof(T).Name} proxy (object {_id} in ProcessManager {_client.ManagerPid})";

    private static ManagedProxy<T> Open(string handle)
    {
        ManagerClient client = ManagerClient.FromHandle(handle, "managed object", out int id);
        return new ManagedProxy<T>(client, id);
    }

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT apps too).
    static ManagedProxy() => HandleTypes.Declare<ManagedProxy<T>>(static () => new HandleFormatter<ManagedProxy<T>>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ManagedProxy<T>>(Open));
}
