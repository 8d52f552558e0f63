using System;
using System.Collections.Generic;
using System.ComponentModel;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// Marshals channel ends for a CSP process that runs in its own OS process: an end crosses as its index
/// among the ends given to the process (and its channel's name); the receiving process gets a remote end
/// whose operations the starting process performs on the real one. Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CspMarshal
{
    [ThreadStatic]
    private static CspEndServer? t_exporting;

    [ThreadStatic]
    private static CspEndClient? t_importing;

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

        CspEndServer server = t_exporting ?? throw new InvalidOperationException("Channel ends are marshaled only when a CSP process starts in its own OS process.");
        writer.Write(server.IndexOf(end));
        writer.Write(end.ChannelName);
    }

    /// <summary>Writes a sequence of ends (or <see langword="null"/>).</summary>
    /// <param name="writer">The arguments' writer.</param>
    /// <param name="ends">The ends.</param>
    public static void WriteEnds(ref JobWriter writer, IEnumerable<ChannelEnd>? ends)
    {
        if (ends is null)
        {
            writer.Write(-1);
            return;
        }

        List<ChannelEnd> all = [.. ends];
        writer.Write(all.Count);
        foreach (ChannelEnd end in all)
        {
            WriteEnd(ref writer, end);
        }
    }

    /// <summary>Reads a reading end.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>A remote end.</returns>
    public static ChannelIn<T> ReadIn<T>(ref JobReader reader)
    {
        int index = reader.Read<int>();
        return index < 0 ? null! : new ChannelIn<T>(CurrentClient, index, reader.Read<string>() ?? string.Empty);
    }

    /// <summary>Reads a writing end.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>A remote end.</returns>
    public static ChannelOut<T> ReadOut<T>(ref JobReader reader)
    {
        int index = reader.Read<int>();
        return index < 0 ? null! : new ChannelOut<T>(CurrentClient, index, reader.Read<string>() ?? string.Empty);
    }

    /// <summary>Reads an array of reading ends.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>Remote ends.</returns>
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
    /// <returns>Remote ends.</returns>
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
    /// <returns>Remote ends.</returns>
    public static List<ChannelIn<T>> ReadInList<T>(ref JobReader reader) => ReadInArray<T>(ref reader) is { } ends ? [.. ends] : null!;

    /// <summary>Reads a list of writing ends.</summary>
    /// <typeparam name="T">The channel's value type.</typeparam>
    /// <param name="reader">The arguments' reader.</param>
    /// <returns>Remote ends.</returns>
    public static List<ChannelOut<T>> ReadOutList<T>(ref JobReader reader) => ReadOutArray<T>(ref reader) is { } ends ? [.. ends] : null!;

    /// <summary>Marshals ends of <paramref name="server"/> on this thread until disposed.</summary>
    internal static Scope Exporting(CspEndServer server)
    {
        t_exporting = server;
        return new Scope(export: true);
    }

    /// <summary>Unmarshals ends as remote ends of <paramref name="client"/> on this thread until disposed.</summary>
    internal static Scope Importing(CspEndClient client)
    {
        t_importing = client;
        return new Scope(export: false);
    }

    private static CspEndClient CurrentClient => t_importing ?? throw new InvalidOperationException("Channel ends are unmarshaled only in an OS process started for a CSP process.");

    /// <summary>Ends an <see cref="Exporting"/> or <see cref="Importing"/> scope.</summary>
    internal readonly struct Scope(bool export) : IDisposable
    {
        public void Dispose()
        {
            if (export)
            {
                t_exporting = null;
            }
            else
            {
                t_importing = null;
            }
        }
    }
}
