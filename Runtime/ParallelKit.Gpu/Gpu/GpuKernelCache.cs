using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using ILGPU.Runtime;

namespace ParallelKit.Gpu;

/// <summary>
/// One kernel's compiled launcher per accelerator: ILGPU compiles a kernel once for each accelerator it
/// runs on, on first launch, and failures are rethrown as <see cref="GpuKernelException"/>s that name the
/// kernel and the accelerator and carry the driver's build log. Infrastructure for generated code.
/// </summary>
/// <typeparam name="TLauncher">The launcher delegate ILGPU's kernel loader returns.</typeparam>
/// <param name="kernelName">The kernel as messages show it (<c>Namespace.Type.Method</c>).</param>
/// <param name="load">Compiles the kernel for an accelerator.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GpuKernelCache<TLauncher>(string kernelName, Func<Accelerator, TLauncher> load)
    where TLauncher : Delegate
{
    private readonly ConditionalWeakTable<Accelerator, TLauncher> _launchers = [];

    /// <summary>The kernel as messages show it.</summary>
    public string KernelName { get; } = kernelName;

    /// <summary>The kernel compiled for <paramref name="accelerator"/>, compiling it on first use.</summary>
    /// <param name="accelerator">The accelerator to launch on.</param>
    /// <exception cref="GpuKernelException">ILGPU could not compile the kernel.</exception>
    public TLauncher For(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (_launchers.TryGetValue(accelerator, out TLauncher? launcher))
        {
            return launcher;
        }

        lock (_launchers)
        {
            if (!_launchers.TryGetValue(accelerator, out launcher))
            {
                using BuildLogCapture capture = BuildLogCapture.Start();
                try
                {
                    launcher = load(accelerator);
                }
                catch (Exception e) when (e is not GpuKernelException)
                {
                    string? log = capture.Log;
                    string what = log is null ? "ILGPU could not compile it" : "the driver could not build it";
                    throw new GpuKernelException(KernelName, GpuLaunch.Describe(accelerator), $"{what}: {e.Message}", log, e);
                }

                _launchers.Add(accelerator, launcher);
            }

            return launcher;
        }
    }
}
