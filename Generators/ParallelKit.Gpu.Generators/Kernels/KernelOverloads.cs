using System.Collections.Generic;
using System.Linq;
using ParallelKit.Generators.Helpers;
using ParallelKit.Gpu.Generators.Kernels.Models;

namespace ParallelKit.Gpu.Generators.Kernels;

/// <summary>The set of public launchers a kernel gets: decided here, once, from the model's facts, and tested as data.</summary>
internal static class KernelOverloads
{
    /// <summary>
    /// The launchers of a kernel: arrays always; device arrays and spans when every view is one-dimensional
    /// (spans also need C# 13 and .NET 9); each with an explicit extent, and without one where the first view's
    /// rank is the index's (its length or shape is the extent); <c>Async</c> twins of the array and device-array
    /// forms (a task cannot hold a span).
    /// </summary>
    /// <param name="rank">The index's rank.</param>
    /// <param name="parameters">The parameters after the index.</param>
    /// <param name="spansSupported">Whether the project's language version and framework allow the span overloads.</param>
    public static EquatableArray<LauncherOverload> Decide(int rank, IReadOnlyList<KernelParameterModel> parameters, bool spansSupported)
    {
        KernelParameterModel first = parameters.First(static p => p.Kind != KernelParameterKind.Scalar);
        bool implicitExtent = first.Kind == KernelParameterKind.View1D ? rank == 1 : rank == 2;
        bool oneDimensional = parameters.All(static p => p.Kind != KernelParameterKind.View2D);
        var families = new List<LauncherFamily> { LauncherFamily.Arrays };
        if (oneDimensional)
        {
            families.Add(LauncherFamily.DeviceArrays);
            if (spansSupported)
            {
                families.Add(LauncherFamily.Spans);
            }
        }

        var overloads = new List<LauncherOverload>();
        foreach (bool isAsync in new[] { false, true })
        {
            foreach (LauncherFamily family in families.Where(f => !isAsync || f != LauncherFamily.Spans))
            {
                if (implicitExtent)
                {
                    overloads.Add(new LauncherOverload(family, ExplicitExtent: false, isAsync));
                }

                overloads.Add(new LauncherOverload(family, ExplicitExtent: true, isAsync));
            }
        }

        return overloads.ToEquatableArray();
    }
}
