using System;
using System.ComponentModel;

namespace ParallelKit.Gpu;

/// <summary>A span's memory while <see cref="HostSpans.Pin"/> holds it pinned. Infrastructure for generated code.</summary>
/// <param name="Address">The first byte.</param>
/// <param name="ByteLength">The number of bytes.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct PinnedSpan(IntPtr Address, int ByteLength);

/// <summary>What runs while <see cref="HostSpans.Pin"/> holds the spans pinned.</summary>
/// <param name="spans">The pinned spans, in the order given, then empty ones.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void PinnedLaunch(ReadOnlySpan<PinnedSpan> spans);

/// <summary>
/// Pins the host memory of a launch on the CPU fast path, whatever holds it (an array, a span of one, stack
/// or native memory, a device array on ILGPU's CPU accelerator), for as long as the host copy runs on several
/// threads: those threads get addresses, which a span cannot give them, and a compacting collection must not
/// move an array under them. The <c>fixed</c> statement lives here, so generated code needs no unsafe context.
/// Infrastructure for generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HostSpans
{
    /// <summary>How many spans one launch can pin: kernels with more views get no host copy (the generator knows this number).</summary>
    public const int MaxSpans = 16;

    /// <summary>Runs <paramref name="launch"/> with the spans pinned.</summary>
    /// <param name="launch">What runs; its argument holds the spans' addresses and lengths.</param>
    /// <param name="s0">The first span.</param>
    /// <param name="s1">The second span, and so on; those not given are empty.</param>
    /// <param name="s2">The third span.</param>
    /// <param name="s3">The 4th span.</param>
    /// <param name="s4">The 5th span.</param>
    /// <param name="s5">The 6th span.</param>
    /// <param name="s6">The 7th span.</param>
    /// <param name="s7">The 8th span.</param>
    /// <param name="s8">The 9th span.</param>
    /// <param name="s9">The 10th span.</param>
    /// <param name="s10">The 11th span.</param>
    /// <param name="s11">The 12th span.</param>
    /// <param name="s12">The 13th span.</param>
    /// <param name="s13">The 14th span.</param>
    /// <param name="s14">The 15th span.</param>
    /// <param name="s15">The 16th span.</param>
    public static unsafe void Pin(
        PinnedLaunch launch,
        scoped ReadOnlySpan<byte> s0,
        scoped ReadOnlySpan<byte> s1 = default,
        scoped ReadOnlySpan<byte> s2 = default,
        scoped ReadOnlySpan<byte> s3 = default,
        scoped ReadOnlySpan<byte> s4 = default,
        scoped ReadOnlySpan<byte> s5 = default,
        scoped ReadOnlySpan<byte> s6 = default,
        scoped ReadOnlySpan<byte> s7 = default,
        scoped ReadOnlySpan<byte> s8 = default,
        scoped ReadOnlySpan<byte> s9 = default,
        scoped ReadOnlySpan<byte> s10 = default,
        scoped ReadOnlySpan<byte> s11 = default,
        scoped ReadOnlySpan<byte> s12 = default,
        scoped ReadOnlySpan<byte> s13 = default,
        scoped ReadOnlySpan<byte> s14 = default,
        scoped ReadOnlySpan<byte> s15 = default)
    {
        ArgumentNullException.ThrowIfNull(launch);
        fixed (byte* p0 = s0, p1 = s1, p2 = s2, p3 = s3, p4 = s4, p5 = s5, p6 = s6, p7 = s7,
            p8 = s8, p9 = s9, p10 = s10, p11 = s11, p12 = s12, p13 = s13, p14 = s14, p15 = s15)
        {
            ReadOnlySpan<PinnedSpan> spans =
            [
                new((IntPtr)p0, s0.Length), new((IntPtr)p1, s1.Length), new((IntPtr)p2, s2.Length), new((IntPtr)p3, s3.Length),
                new((IntPtr)p4, s4.Length), new((IntPtr)p5, s5.Length), new((IntPtr)p6, s6.Length), new((IntPtr)p7, s7.Length),
                new((IntPtr)p8, s8.Length), new((IntPtr)p9, s9.Length), new((IntPtr)p10, s10.Length), new((IntPtr)p11, s11.Length),
                new((IntPtr)p12, s12.Length), new((IntPtr)p13, s13.Length), new((IntPtr)p14, s14.Length), new((IntPtr)p15, s15.Length),
            ];
            launch(spans);
        }
    }
}
