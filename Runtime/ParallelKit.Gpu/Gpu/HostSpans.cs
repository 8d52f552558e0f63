using System;
using System.ComponentModel;

namespace ParallelKit.Gpu;

/// <summary>
/// A launch of a kernel's host copy over spans, which <see cref="HostSpans.Run{TLaunch}(ref TLaunch)"/> pins
/// for as long as it runs. The generator emits one for each kernel with span overloads, so that the
/// caller's project needs no <c>unsafe</c>: the pinning happens in the runtime's frames. Infrastructure for
/// generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IHostSpanLaunch
{
    /// <summary>The number of spans to pin.</summary>
    int SpanCount { get; }

    /// <summary>The span at <paramref name="index"/> (0 to <see cref="SpanCount"/> - 1), as bytes.</summary>
    /// <param name="index">The span's position.</param>
    ReadOnlySpan<byte> GetSpan(int index);

    /// <summary>Runs the launch; every span is pinned until it returns.</summary>
    /// <param name="addresses">The address of each span's first element, in the order of <see cref="GetSpan(int)"/> (zero for an empty span).</param>
    void Run(scoped ReadOnlySpan<nint> addresses);
}

/// <summary>
/// Pins the spans of a host launch with <c>fixed</c>, one runtime frame per span, and runs the launch inside
/// the innermost: the multithreaded host loop completes before the frames return, so the memory cannot move
/// while any thread reads or writes it. Infrastructure for generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HostSpans
{
    /// <summary>How many spans are addressed on the stack; more than that (an unusual kernel) use a small array.</summary>
    private const int StackAddresses = 16;

    /// <summary>Pins every span of <paramref name="launch"/> and runs it.</summary>
    /// <typeparam name="TLaunch">The generated launch.</typeparam>
    /// <param name="launch">The launch: its spans, scalars and extent.</param>
    public static void Run<TLaunch>(scoped ref TLaunch launch)
        where TLaunch : IHostSpanLaunch, allows ref struct
    {
        int count = launch.SpanCount;
        Span<nint> addresses = count <= StackAddresses ? stackalloc nint[StackAddresses] : new nint[count];
        PinFrom(ref launch, 0, addresses[..count]);
    }

    private static unsafe void PinFrom<TLaunch>(scoped ref TLaunch launch, int index, scoped Span<nint> addresses)
        where TLaunch : IHostSpanLaunch, allows ref struct
    {
        if (index == addresses.Length)
        {
            launch.Run(addresses);
            return;
        }

        fixed (byte* first = launch.GetSpan(index))
        {
            addresses[index] = (nint)first;
            PinFrom(ref launch, index + 1, addresses);
        }
    }
}
