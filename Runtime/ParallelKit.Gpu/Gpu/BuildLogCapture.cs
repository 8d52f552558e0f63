using System;
using System.Diagnostics;
using System.Text;

namespace ParallelKit.Gpu;

/// <summary>
/// Collects what ILGPU writes to <see cref="Trace"/> while one kernel compiles: its OpenCL backend reports a
/// driver's build log there (<c>Kernel loading failed:</c> and the log) and throws only the bare error code,
/// so the log is read back from here into the <see cref="GpuKernelException"/>.
/// </summary>
internal sealed class BuildLogCapture : TraceListener
{
    /// <summary>The line ILGPU writes before the driver's log.</summary>
    internal const string LogHeader = "Kernel loading failed:";

    private readonly StringBuilder _text = new();

    private BuildLogCapture()
    {
    }

    /// <summary>Starts collecting; dispose to stop.</summary>
    public static BuildLogCapture Start()
    {
        var capture = new BuildLogCapture();
        Trace.Listeners.Add(capture);
        return capture;
    }

    /// <summary>The driver's build log ILGPU reported since <see cref="Start"/>, or null when it reported none.</summary>
    public string? Log
    {
        get
        {
            string text;
            lock (_text)
            {
                text = _text.ToString();
            }

            int header = text.LastIndexOf(LogHeader, StringComparison.Ordinal);
            string log = header < 0 ? string.Empty : text[(header + LogHeader.Length)..].Trim();
            return log.Length == 0 || log.StartsWith(">> No error information available", StringComparison.Ordinal) ? null : log;
        }
    }

    /// <inheritdoc/>
    public override void Write(string? message)
    {
        lock (_text)
        {
            _text.Append(message);
        }
    }

    /// <inheritdoc/>
    public override void WriteLine(string? message)
    {
        lock (_text)
        {
            _text.Append(message).Append('\n');
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        Trace.Listeners.Remove(this);
        base.Dispose(disposing);
    }
}
