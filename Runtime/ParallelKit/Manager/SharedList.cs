using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MemoryPack;
using ParallelKit.Manager;
using ParallelKit.SharedMemory;

namespace ParallelKit;

/// <summary>
/// A proxy to a list held by a <see cref="ProcessManager"/> — Python's <c>manager.list()</c>. Every
/// operation is a round trip to the manager process; enumerating takes a snapshot. Items are compared (by
/// <see cref="IndexOf"/>, <see cref="Contains"/>, <see cref="Remove"/>) by their MemoryPack bytes. Pass it to
/// jobs and processes: it crosses by handle, and all see the same list.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class SharedList<T> : IList<T>, IReadOnlyList<T>, IMarshalByHandle, IMemoryPackFormatterRegister, IDisposable
{
    private readonly ManagerClient _client;
    private readonly int _id;
    private int _disposed;

    internal SharedList(ManagerClient client, int id)
    {
        _client = client;
        _id = id;
    }

    /// <summary>
    /// Lets go of this proxy: later calls through it throw <see cref="ObjectDisposedException"/>. The data
    /// stays in the manager (other proxies, in this or other processes, still reach it) until the manager stops.
    /// </summary>
    public void Dispose() => System.Threading.Interlocked.Exchange(ref _disposed, 1);

    /// <inheritdoc />
    public string HandleName => _client.HandleOf(_id);

    /// <inheritdoc />
    public int Count => ManagerProtocol.Int(Client.Call(ManagerOperation.Count, _id)[0]);

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <inheritdoc />
    public T this[int index]
    {
        get => ManagerClient.Unpack<T>(Call(ManagerOperation.ListGet, ManagerProtocol.Int(index))[0]);
        set => Call(ManagerOperation.ListSet, ManagerProtocol.Int(index), ManagerClient.Pack(value));
    }

    /// <inheritdoc />
    public void Add(T item) => Client.Call(ManagerOperation.ListAdd, _id, ManagerClient.Pack(item));

    /// <inheritdoc />
    public void Insert(int index, T item) => Call(ManagerOperation.ListInsert, ManagerProtocol.Int(index), ManagerClient.Pack(item));

    /// <inheritdoc />
    public void RemoveAt(int index) => Call(ManagerOperation.ListRemoveAt, ManagerProtocol.Int(index));

    /// <inheritdoc />
    public int IndexOf(T item) => ManagerProtocol.Int(Client.Call(ManagerOperation.ListIndexOf, _id, ManagerClient.Pack(item))[0]);

    /// <inheritdoc />
    public bool Contains(T item) => IndexOf(item) >= 0;

    /// <inheritdoc />
    public bool Remove(T item) => ManagerProtocol.ToBool(Client.Call(ManagerOperation.ListRemove, _id, ManagerClient.Pack(item))[0]);

    /// <summary>Reverses the list in place, in the manager — Python's <c>l.reverse()</c>.</summary>
    public void Reverse() => Client.Call(ManagerOperation.ListReverse, _id);

    /// <summary>Removes and returns the last item, in one call to the manager — Python's <c>l.pop()</c>.</summary>
    /// <returns>The item that was last.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The list is empty.</exception>
    public T Pop() => Pop(-1);

    /// <summary>
    /// Removes and returns the item at <paramref name="index"/>, in one call to the manager — Python's
    /// <c>l.pop(i)</c>, negative indexes counting from the end as in Python.
    /// </summary>
    /// <param name="index">The item's index; -1 is the last item.</param>
    /// <returns>The item that was there.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No item has that index.</exception>
    public T Pop(int index) => ManagerClient.Unpack<T>(Call(ManagerOperation.ListPop, ManagerProtocol.Int(index))[0]);

    /// <summary>
    /// Appends the items, in one call to the manager — Python's <c>l.extend(items)</c>: other processes see all
    /// of them or none, together at the end.
    /// </summary>
    /// <param name="items">The items to append.</param>
    public void AddRange(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        Client.Call(ManagerOperation.ListAddRange, _id, [.. items.Select(ManagerClient.Pack)]);
    }

    /// <summary>
    /// Sorts the list — Python's <c>l.sort()</c>. The manager holds marshaled bytes and cannot compare items,
    /// so the items are compared here and written back in one call that succeeds only if no other process
    /// changed the list meanwhile (otherwise the sort starts again): other processes see the list unsorted or
    /// sorted, never a mix, and no change made meanwhile is lost.
    /// </summary>
    /// <param name="comparer">How to order items; <see langword="null"/> for <see cref="Comparer{T}.Default"/>.</param>
    public void Sort(IComparer<T>? comparer = null)
    {
        while (true)
        {
            List<byte[]> read = Client.Call(ManagerOperation.Items, _id);
            var items = new (T Item, byte[] Bytes)[read.Count];
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = (ManagerClient.Unpack<T>(read[i]), read[i]);
            }

            IComparer<T> order = comparer ?? Comparer<T>.Default;

            // OrderBy is stable, as Python's sort: equal items keep their order.
            byte[][] sorted = [.. items.OrderBy(e => e.Item, order).Select(e => e.Bytes)];
            byte[][] request = [ManagerProtocol.Int(read.Count), .. read, .. sorted];
            if (ManagerProtocol.ToBool(Client.Call(ManagerOperation.ListReplaceIfUnchanged, _id, request)[0]))
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public void Clear() => Client.Call(ManagerOperation.Clear, _id);

    /// <inheritdoc />
    public void CopyTo(T[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    /// <summary>Enumerates a snapshot of the items, taken in one round trip.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Python's <c>print(l)</c>: the items in brackets.</summary>
    /// <returns>The items, comma-separated, in brackets.</returns>
    public override string ToString() => "[" + string.Join(", ", Snapshot()) + "]";

    internal static SharedList<T> Open(string handle)
    {
        ManagerClient client = ManagerClient.FromHandle(handle, "shared list", out int id);
        return new SharedList<T>(client, id);
    }

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static SharedList() => HandleTypes.Declare<SharedList<T>>(static () => new HandleFormatter<SharedList<T>>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<SharedList<T>>(Open));

    private List<T> Snapshot() => Client.Call(ManagerOperation.Items, _id).ConvertAll(ManagerClient.Unpack<T>);

    private List<byte[]> Call(ManagerOperation operation, params ReadOnlySpan<byte[]> values)
    {
        try
        {
            return Client.Call(operation, _id, values);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("ArgumentOutOfRangeException", StringComparison.Ordinal))
        {
            throw new ArgumentOutOfRangeException(ex.Message.Replace("The ProcessManager refused the call: System.ArgumentOutOfRangeException: ", string.Empty, StringComparison.Ordinal), ex);
        }
    }

    private ManagerClient Client
    {
        get
        {
            ObjectDisposedException.ThrowIf(System.Threading.Volatile.Read(ref _disposed) != 0, this);
            return _client;
        }
    }
}
