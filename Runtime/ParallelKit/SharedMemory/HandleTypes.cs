using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using MemoryPack;

namespace ParallelKit.SharedMemory;

/// <summary>
/// How each <see cref="IMarshalByHandle"/> type marshals, declared by the type itself (its static
/// constructor, or a static field initializer in generated code, calls <see cref="Declare"/>) and registered with MemoryPack the first time the type is
/// marshaled. MemoryPack would find a type's <c>IMemoryPackFormatterRegister.RegisterFormatter</c> by
/// reflection, which trimming and Native AOT remove; this path needs none. Used by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HandleTypes
{
    /// <summary>Declares the formatter of <typeparamref name="TSelf"/>; call it from a static field initializer of the type.</summary>
    /// <typeparam name="TSelf">The handle type.</typeparam>
    /// <param name="formatter">Creates its formatter (the handle's name crosses, the receiver opens it).</param>
    /// <returns><see langword="true"/>, for the field.</returns>
    public static bool Declare<TSelf>(Func<MemoryPackFormatter<TSelf>> formatter)
        where TSelf : class, IMarshalByHandle
    {
        ArgumentNullException.ThrowIfNull(formatter);
        Declared<TSelf>.Create = formatter;
        return true;
    }

    /// <summary>Registers the formatter of <typeparamref name="T"/> with MemoryPack, when it is a handle type that declared one.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2059",
        Justification = "Handle types declare their formatter in their static constructor, or in a static field the type's own code reads; both exist wherever the type is used, and only types being marshaled get here.")]
    internal static void Ensure<T>()
    {
        if (Checked<T>.Done)
        {
            return;
        }

        if (typeof(IMarshalByHandle).IsAssignableFrom(typeof(T)) && !MemoryPackFormatterProvider.IsRegistered<T>())
        {
            // Runs the type's static field initializers, where it declares its formatter.
            RuntimeHelpers.RunClassConstructor(typeof(T).TypeHandle);
            if (Declared<T>.Create is { } create)
            {
                MemoryPackFormatterProvider.Register(create());
            }
        }

        Checked<T>.Done = true;
    }

    private static class Declared<T>
    {
        public static Func<MemoryPackFormatter<T>>? Create;
    }

    private static class Checked<T>
    {
        public static bool Done;
    }
}
