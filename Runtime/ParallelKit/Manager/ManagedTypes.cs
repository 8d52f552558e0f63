using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using ParallelKit.Manager;

namespace ParallelKit;

/// <summary>Creates a <see cref="ManagedTypeAttribute">[ManagedType]</see> object in the manager process. Emitted by the generator.</summary>
/// <param name="constructor">Which public constructor, in declaration order.</param>
/// <param name="arguments">Its arguments, each marshaled with <see cref="ManagedTypes.Pack{TValue}"/>.</param>
/// <returns>The new object.</returns>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate object ManagedFactory(int constructor, byte[][] arguments);

/// <summary>Runs a method of a <see cref="ManagedTypeAttribute">[ManagedType]</see> object in the manager process. Emitted by the generator.</summary>
/// <param name="target">The object.</param>
/// <param name="method">Which proxied method, in declaration order.</param>
/// <param name="arguments">Its arguments, each marshaled with <see cref="ManagedTypes.Pack{TValue}"/>.</param>
/// <returns>The marshaled result; empty for a method without one.</returns>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate byte[] ManagedInvoker(object target, int method, byte[][] arguments);

/// <summary>
/// The table a manager process creates and calls <see cref="ManagedTypeAttribute">[ManagedType]</see> objects from:
/// type name → factory and invoker, registered by a generated module initializer of the assembly declaring the type,
/// and marshaling helpers for the generated proxies. Used by generated code; no reflection is involved in a call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ManagedTypes
{
    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal);

    /// <summary>Registers a managed type. Called by generated module initializers.</summary>
    /// <param name="typeName">The type's full name.</param>
    /// <param name="create">Creates an instance.</param>
    /// <param name="invoke">Runs a method on an instance.</param>
    public static void Register(string typeName, ManagedFactory create, ManagedInvoker invoke)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(invoke);
        lock (Entries)
        {
            Entries[typeName] = new Entry(create, invoke);
        }
    }

    /// <summary>Creates a <typeparamref name="T"/> in <paramref name="manager"/>'s process. Used by the generated <c>manager.T(…)</c> extensions.</summary>
    /// <typeparam name="T">The managed class.</typeparam>
    /// <param name="manager">The manager.</param>
    /// <param name="assemblyName">The name of the assembly declaring <typeparamref name="T"/> (loaded by the manager if it has not been).</param>
    /// <param name="typeName">The full metadata name of <typeparamref name="T"/>.</param>
    /// <param name="constructor">Which public constructor, in declaration order.</param>
    /// <param name="arguments">Its arguments, each made by <see cref="Pack{TValue}"/>.</param>
    /// <returns>A proxy to the new object.</returns>
    /// <exception cref="ManagedCallException">The constructor threw in the manager.</exception>
    public static ManagedProxy<T> Create<T>(ProcessManager manager, string assemblyName, string typeName, int constructor, byte[][] arguments)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(arguments);
        return manager.CreateManaged(typeName, assemblyName, constructor, arguments, static (client, id) => new ManagedProxy<T>(client, id));
    }

    /// <summary>The MemoryPack bytes of an argument or result (handle types cross by handle, as in jobs).</summary>
    /// <typeparam name="TValue">Its type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>Its bytes.</returns>
    public static byte[] Pack<TValue>(TValue value) => ManagerClient.Pack(value);

    /// <summary>An argument or result back from its bytes.</summary>
    /// <typeparam name="TValue">Its type.</typeparam>
    /// <param name="bytes">What <see cref="Pack{TValue}"/> made.</param>
    /// <returns>The value.</returns>
    public static TValue Unpack<TValue>(byte[] bytes) => ManagerClient.Unpack<TValue>(bytes);

    /// <summary>
    /// The entry of <paramref name="typeName"/>; when this process has not loaded the assembly declaring it yet (a
    /// library the manager's code has not touched), loads it and runs its module initializer, which registers it.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The assembly declares a type the user's code references (its proxy), so it is part of the app.")]
    internal static bool TryGet(string typeName, string assemblyName, [NotNullWhen(true)] out Entry? entry)
    {
        lock (Entries)
        {
            if (Entries.TryGetValue(typeName, out entry))
            {
                return true;
            }
        }

        try
        {
            Assembly assembly = Assembly.Load(new AssemblyName(assemblyName));
            RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        }
        catch (Exception ex) when (ex is System.IO.IOException or BadImageFormatException or ArgumentException or PlatformNotSupportedException)
        {
            // Not loadable here: reported as not registered below.
        }

        lock (Entries)
        {
            return Entries.TryGetValue(typeName, out entry);
        }
    }

    internal sealed record Entry(ManagedFactory Create, ManagedInvoker Invoke);
}
