using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace ParallelKit.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot assertions with Verify's file convention, so that moving to Verify.SourceGenerators later is a
/// one-line change: each generated source of a test is compared with
/// <c>Snapshots/{TestClass}.{TestMethod}#{HintName without .cs}.verified.cs</c> in the source tree.
/// </summary>
/// <remarks>
/// A mismatch (or a missing snapshot) writes <c>….received.cs</c> beside it and fails with a unified diff.
/// Review the diff, then either fix the generator or accept: run the tests with
/// <c>PARALLELKIT_ACCEPT_SNAPSHOTS=1</c>, which writes every received text as verified (and deletes
/// snapshots a test no longer produces). The test class name is the test file's name: one class per file.
/// </remarks>
internal static class Snapshot
{
    /// <summary>Set to <c>1</c> (or <c>true</c>) to accept the generated text as the new snapshots.</summary>
    public const string AcceptVariable = "PARALLELKIT_ACCEPT_SNAPSHOTS";

    private const string VerifiedSuffix = ".verified.cs";
    private const string ReceivedSuffix = ".received.cs";

    /// <summary>Compares every source the generator produced with its verified snapshot.</summary>
    /// <param name="result">The generator's run result.</param>
    /// <param name="testFile">Filled in by the compiler: the calling test's source file.</param>
    /// <param name="testName">Filled in by the compiler: the calling test method.</param>
    public static void Verify(GeneratorRunResult result, [CallerFilePath] string testFile = "", [CallerMemberName] string testName = "")
        => Verify(result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())), testFile, testName);

    /// <summary>Compares named texts with their verified snapshots.</summary>
    /// <param name="sources">Each text with the hint name it was generated under.</param>
    /// <param name="testFile">The calling test's source file; its directory holds <c>Snapshots/</c>.</param>
    /// <param name="testName">The calling test method.</param>
    public static void Verify(IEnumerable<(string HintName, string Text)> sources, string testFile, string testName)
    {
        (string HintName, string Text)[] all = [.. sources.OrderBy(s => s.HintName, StringComparer.Ordinal)];
        Assert.True(all.Length > 0, "The generator produced no source: nothing to snapshot. Assert the empty output instead.");

        string directory = SnapshotDirectory(testFile);
        Directory.CreateDirectory(directory);
        string prefix = $"{Path.GetFileNameWithoutExtension(testFile)}.{testName}#";
        bool accept = IsAccepting();
        var produced = new HashSet<string>(StringComparer.Ordinal);
        var failures = new StringBuilder();

        foreach ((string hintName, string text) in all)
        {
            string name = prefix + Path.GetFileNameWithoutExtension(hintName);
            string verifiedPath = Path.Combine(directory, name + VerifiedSuffix);
            string receivedPath = Path.Combine(directory, name + ReceivedSuffix);
            produced.Add(Path.GetFileName(verifiedPath));

            string received = Normalize(text);
            string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
            if (string.Equals(verified, received, StringComparison.Ordinal))
            {
                File.Delete(receivedPath);
                continue;
            }

            if (accept)
            {
                File.WriteAllText(verifiedPath, received);
                File.Delete(receivedPath);
                continue;
            }

            File.WriteAllText(receivedPath, received);
            failures.Append(verified is null ? "New snapshot " : "Snapshot differs: ").Append(Path.GetFileName(verifiedPath)).Append('\n');
            failures.Append(LineDiff.Unified(verified ?? string.Empty, received, Path.GetFileName(verifiedPath), Path.GetFileName(receivedPath)));
            failures.Append('\n');
        }

        foreach (string stale in Directory.EnumerateFiles(directory, prefix + "*" + VerifiedSuffix))
        {
            if (produced.Contains(Path.GetFileName(stale)))
            {
                continue;
            }

            if (accept)
            {
                File.Delete(stale);
            }
            else
            {
                failures.Append("Snapshot no longer generated: ").Append(Path.GetFileName(stale)).Append("\n\n");
            }
        }

        if (failures.Length > 0)
        {
            failures.Append("Received files are in ").Append(directory)
                .Append(". If the change is intended, rerun with ").Append(AcceptVariable).Append("=1 to accept it.");
            Assert.Fail(failures.ToString());
        }
    }

    private static bool IsAccepting()
    {
        string? value = Environment.GetEnvironmentVariable(AcceptVariable);
        return value == "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Generated sources use '\n'; a checkout may have turned the snapshots into CRLF.</summary>
    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>
    /// <c>Snapshots/</c> beside the test file, in the source tree rather than in bin/ (so that accepted
    /// snapshots land where they are checked in). Where the compiler mapped source paths away (deterministic
    /// CI builds write <c>/_/…</c>), the project directory is found above the test assembly instead.
    /// </summary>
    private static string SnapshotDirectory(string testFile)
    {
        string? directory = Path.GetDirectoryName(testFile);
        if (directory is null || !Directory.Exists(directory))
        {
            directory = FindProjectDirectory();
        }

        return Path.Combine(directory, "Snapshots");
    }

    private static string FindProjectDirectory()
    {
        // This file is linked into more than one test project: look for the project of the assembly running it.
        string project = typeof(Snapshot).Assembly.GetName().Name + ".csproj";
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, project)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find the test project's directory above '{AppContext.BaseDirectory}' to read snapshots from.");
    }
}
