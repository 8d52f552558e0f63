using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Workers;

/// <summary>
/// A job built into every worker, run once on the worker's own record path right after it connects, so
/// that the path is compiled before the first real job arrives (a warm spare process, above all, then
/// runs its job at once).
/// </summary>
internal sealed class WarmupJob : JobCall<int>
{
    public const ulong Key = 0x504B_5741_524D_5550UL; // "PKWARMUP"

    public override string JobName => "ParallelKit.Warmup";

    protected internal override ulong JobKey => Key;

    public static void Register() => JobRegistry.Register(Key, "ParallelKit.Warmup", static (ref JobReader _) => new WarmupJob());

    protected internal override void WriteArguments(ref JobWriter writer)
    {
    }

    protected internal override ValueTask<int> InvokeAsync(CancellationToken cancellationToken) => new(0);
}
