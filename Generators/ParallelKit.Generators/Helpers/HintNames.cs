using System;
using System.Collections.Generic;
using System.Globalization;

namespace ParallelKit.Generators.Helpers;

/// <summary>
/// Hint names for generated files. Roslyn compares hint names ignoring case (they become file names), so names that
/// differ only in case would collide and fail the whole generator: those get a suffix hashed from an exact key.
/// </summary>
internal static class HintNames
{
    /// <summary>The stem of a type's files: its metadata name with nested types joined by '.'.</summary>
    public static string Stem(string metadataName) => metadataName.Replace('+', '.');

    /// <summary>Eight hex digits of a stable hash of <paramref name="key"/>, the same on every machine and in every run.</summary>
    public static string Hash(string key) => (StableHash.Fnv1a64(key) & 0xFFFFFFFF).ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>
    /// One hint name per stem: <c>{stem}{suffix}</c>, where the suffix is empty unless another stem equals this one
    /// ignoring case; then it is '.' and the hash of <paramref name="keys"/>' entry, which tells them apart.
    /// </summary>
    /// <param name="stems">The stems, one per file.</param>
    /// <param name="keys">The exact keys, one per file (a metadata name, with a signature where overloads share a stem).</param>
    /// <param name="extension">What follows the suffix (<c>.Jobs.g.cs</c>).</param>
    public static string[] Unique(IReadOnlyList<string> stems, IReadOnlyList<string> keys, string extension)
    {
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (string stem in stems)
        {
            counts[stem] = counts.TryGetValue(stem, out int count) ? count + 1 : 1;
        }

        string[] names = new string[stems.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = stems[i] + (counts[stems[i]] > 1 ? "." + Hash(keys[i]) : string.Empty) + extension;
        }

        return names;
    }
}
