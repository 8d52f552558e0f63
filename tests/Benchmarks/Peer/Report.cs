using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ParallelKit.Benchmarks.Peer;

/// <summary>
/// The output side of the Python peer contract (<c>_common.py</c>: <c>emit</c>, <c>_pct</c>,
/// <c>time_batches</c>): one JSON object per measurement on stdout, keys in the same order as Python's,
/// microseconds per operation, the same median and percentile rules. Diagnostics go to stderr.
/// </summary>
public static class Report
{
    private static readonly string Runtime = RuntimeInformation.FrameworkDescription;
    private static readonly string Executable = Environment.ProcessPath ?? string.Empty;
    private static readonly int Cpus = Environment.ProcessorCount;

    /// <summary>Seconds per Stopwatch tick.</summary>
    public static readonly double TickSeconds = 1.0 / Stopwatch.Frequency;

    /// <summary>The Python rule: <c>statistics.median</c> (mean of the two middle values for an even count).</summary>
    public static double Median(double[] sorted)
    {
        int len = sorted.Length;
        return len % 2 == 1 ? sorted[len / 2] : (sorted[(len / 2) - 1] + sorted[len / 2]) / 2.0;
    }

    /// <summary><c>_pct</c>: index <c>round(q * (len - 1))</c> (banker's rounding, as Python's <c>round</c>), clamped.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        int k = (int)Math.Round(q * (sorted.Length - 1), MidpointRounding.ToEven);
        k = Math.Min(sorted.Length - 1, Math.Max(0, k));
        return sorted[k];
    }

    /// <summary>The upper-middle element, as <c>sorted(times)[len // 2]</c> in <c>map_speedup.py</c>.</summary>
    public static double UpperMiddle(double[] samples)
    {
        double[] s = (double[])samples.Clone();
        Array.Sort(s);
        return s[s.Length / 2];
    }

    /// <summary>
    /// Prints one measurement line, exactly like <c>emit()</c>: <paramref name="samplesSeconds"/> are seconds per
    /// operation, one per sample (per-op: one per op; batch: rep time / n, one per rep).
    /// </summary>
    /// <returns>The median in seconds per operation.</returns>
    public static double Emit(string bench, string impl, string variant, int n, double[] samplesSeconds, string timing, params (string Key, object? Value)[] extra)
    {
        double[] s = (double[])samplesSeconds.Clone();
        Array.Sort(s);
        double med = Median(s);
        var rec = new List<(string, object?)>
        {
            ("bench", bench),
            ("impl", impl),
            ("variant", variant),
            ("n", n),
            ("reps", timing == "per-op" ? 1 : s.Length),
            ("timing", timing),
            ("median_us", Math.Round(med * 1e6, 3)),
            ("min_us", Math.Round(s[0] * 1e6, 3)),
            ("p90_us", Math.Round(Percentile(s, 0.90) * 1e6, 3)),
            ("max_us", Math.Round(s[^1] * 1e6, 3)),
            ("ops_per_s", med > 0 ? Math.Round(1.0 / med, 1) : null),
        };
        foreach ((string key, object? value) in extra)
        {
            rec.Add((key, value));
            if (key == "bytes_per_op" && value is int bytes)
            {
                // As emit(): throughput from the median.
                rec.Add(("mb_per_s", med > 0 ? Math.Round(bytes / med / 1e6, 2) : null));
            }
        }
        rec.Add(("runtime", Runtime));
        rec.Add(("executable", Executable));
        rec.Add(("cpus", Cpus));
        Console.Out.WriteLine(ToJson(rec));
        Console.Out.Flush();
        return med;
    }

    /// <summary>A diagnostic line on stderr.</summary>
    public static void Log(string message)
    {
        Console.Error.WriteLine(message);
        Console.Error.Flush();
    }

    private static string ToJson(List<(string Key, object? Value)> rec)
    {
        // json.dumps() layout: {"k": v, "k2": v2}; floats always carry a decimal point.
        var sb = new StringBuilder("{");
        for (int i = 0; i < rec.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            AppendString(sb, rec[i].Key);
            sb.Append(": ");
            AppendValue(sb, rec[i].Value);
        }

        return sb.Append('}').ToString();
    }

    private static void AppendValue(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case string str:
                AppendString(sb, str);
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case double d:
                AppendDouble(sb, d);
                break;
            case float f:
                AppendDouble(sb, f);
                break;
            case IFormattable integer:
                sb.Append(integer.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                AppendString(sb, value.ToString() ?? string.Empty);
                break;
        }
    }

    private static void AppendDouble(StringBuilder sb, double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
        {
            sb.Append("null");
            return;
        }

        string text = d.ToString("R", CultureInfo.InvariantCulture);
        sb.Append(text);
        if (text.AsSpan().IndexOfAny(".E") < 0)
        {
            sb.Append(".0");
        }
    }

    private static void AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                default:
                    if (c < 0x20 || c > 0x7e)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
