using System;

namespace ParallelKit;

/// <summary>
/// Marks a <see langword="partial"/> property of a <see langword="partial"/> class as a value in shared memory.
/// The generator lays out every <c>[SharedValue]</c> property of the class in one shared-memory segment per
/// instance and implements each accessor over it: reads of values of up to 8 bytes are atomic and take no lock,
/// everything else takes the instance's cross-process lock. It also emits <c>Lock()</c> (a re-entrant scope for
/// compound updates, exclusive across threads and processes), <c>Add{Property}</c>/<c>Increment{Property}</c>
/// helpers for numeric properties, and <see cref="IDisposable"/>. Instances marshal by handle into jobs and
/// <see cref="ParallelProcess"/> calls, so every process sees the same memory.
/// </summary>
/// <example>
/// <code>
/// public partial class Progress
/// {
///     [SharedValue] public partial long Done { get; set; }
///     [SharedValue] public partial double Best { get; set; }
/// }
///
/// using var progress = new Progress();
/// using (progress.Lock()) { progress.Done++; }   // or progress.IncrementDone()
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SharedValueAttribute : Attribute
{
}
