using System;
using System.Collections.Generic;
using System.ComponentModel;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// Marshals channel ends for a CSP process that runs in its own OS process, by handle: the end's channel moves
/// to shared memory (once), and the end crosses as the name of that memory, its channel's record there (and
/// generation), its channel's name and whether it has retired; the receiving process opens the same channel and works on it
/// directly. Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CspMarshal
{
    /// <summary>Writes one end (or <see langword="null"/>).</summary>
    /// <param name="writer">The arguments' writer.</param>
    /// <param name="end">The end.</param>
    public static void WriteEnd(ref JobWriter writer, ChannelEnd? end)
    {
        if (end is null)
        {
            writer.Write(-1);
            return;
        }

        CspChannel channel = end.ChannelObject;
        SharedChannel shared = channel.Promote();
        writer.Write(1);
        writer.Write(shared.Arena.Name);
        writer.Write(shared.Record);
        writer.Write(shared.Generation);
        writer.Write(channel.Name);
        writer.Write(end.IsRetired);
    }

    /// <summary>Writes a sequence of ends (or <see langword="null"/>).</summary>
    /// <param name="writer">The arguments' writer.</param>
    /// <param name="ends">The ends.</param>
    public static void WriteEnds(ref JobWriter writer, IEnumerable<ChannelEnd?>? ends)
    {
        if (ends is null)
        {
            writer.Write(-1);
            return;
        }

        List<ChannelEnd?> all = [.. ends];
        writer.Write(all.Count);
        foreach (ChannelEnd? end in all)
        {
            WriteEnd(ref writer, end);
        }
    }

    /// <summary>Reads a reading end.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>An end of the same channel (in shared memory), the same end as the one passed.</returns>
    public static ChannelIn<T> ReadIn<T>(ref JobReader reader)
    {
        int present = reader.Read<int>();
        if (present < 0)
        {
            return null!;
        }

        CspChannel<T> channel = ReadChannel<T>(ref reader);
        return new ChannelIn<T>(channel, reader.Read<bool>());
    }

    /// <summary>Reads a writing end.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>An end of the same channel (in shared memory), the same end as the one passed.</returns>
    public static ChannelOut<T> ReadOut<T>(ref JobReader reader)
    {
        int present = reader.Read<int>();
        if (present < 0)
        {
            return null!;
        }

        CspChannel<T> channel = ReadChannel<T>(ref reader);
        return new ChannelOut<T>(channel, reader.Read<bool>());
    }

    /// <summary>Reads an array of reading ends.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>Ends of the same channels (in shared memory).</returns>
    public static ChannelIn<T>[] ReadInArray<T>(ref JobReader reader)
    {
        int count = reader.Read<int>();
        if (count < 0)
        {
            return null!;
        }

        var ends = new ChannelIn<T>[count];
        for (int i = 0; i < count; i++)
        {
            ends[i] = ReadIn<T>(ref reader);
        }

        return ends;
    }

    /// <summary>Reads an array of writing ends.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>Ends of the same channels (in shared memory).</returns>
    public static ChannelOut<T>[] ReadOutArray<T>(ref JobReader reader)
    {
        int count = reader.Read<int>();
        if (count < 0)
        {
            return null!;
        }

        var ends = new ChannelOut<T>[count];
        for (int i = 0; i < count; i++)
        {
            ends[i] = ReadOut<T>(ref reader);
        }

        return ends;
    }

    /// <summary>Reads a list of reading ends.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>Ends of the same channels (in shared memory).</returns>
    public static List<ChannelIn<T>> ReadInList<T>(ref JobReader reader) => ReadInArray<T>(ref reader) is { } ends ? [.. ends] : null!;

    /// <summary>Reads a list of writing ends.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>Ends of the same channels (in shared memory).</returns>
    public static List<ChannelOut<T>> ReadOutList<T>(ref JobReader reader) => ReadOutArray<T>(ref reader) is { } ends ? [.. ends] : null!;

    /// <summary>Opens the channel an end belongs to: its arena by name, then this process's view of its record.</summary>
    private static CspChannel<T> ReadChannel<T>(ref JobReader reader)
    {
        string arenaName = reader.Read<string>() ?? throw new InvalidOperationException("A channel end arrived without the name of its shared memory.");
        int record = reader.Read<int>();
        int generation = reader.Read<int>();
        string name = reader.Read<string>() ?? string.Empty;
        return CspArena.Open(arenaName).View<T>(record, generation, name);
    }
}
