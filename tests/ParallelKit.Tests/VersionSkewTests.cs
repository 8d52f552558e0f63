using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// A worker must run the very build its parent runs: the executable rebuilt on disk while a parent is running
/// must not serve that parent's jobs (their job tables and argument layouts may differ).
/// </summary>
public sealed class VersionSkewTests
{
    [Fact]
    public async Task Workers_of_another_build_are_refused_with_a_clear_error()
    {
        string built = Path.GetDirectoryName(BuiltApps.PathOf("tests", "ParallelKit.Tests.ConsoleApp"))!;
        string copy = Directory.CreateTempSubdirectory("parallelkit-skew-").FullName;
        try
        {
            foreach (string file in Directory.GetFiles(built))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            string app = Path.Combine(copy, "ParallelKit.Tests.ConsoleApp.dll");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            start.ArgumentList.Add(app);
            start.ArgumentList.Add("skew");
            using var parent = Process.Start(start)!;
            Task<string> error = parent.StandardError.ReadToEndAsync();
            Assert.Equal("ready", await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));

            // "Rebuild" the app while it runs: a new file with another module version id takes the old one's name,
            // as a build does; the running parent keeps the old file open.
            string rebuilt = app + ".new";
            File.WriteAllBytes(rebuilt, WithNewModuleVersionId(File.ReadAllBytes(app)));
            File.Move(rebuilt, app, overwrite: true);
            await parent.StandardInput.WriteLineAsync();
            await parent.StandardInput.FlushAsync();

            Task<string> output = parent.StandardOutput.ReadToEndAsync();
            bool exited = parent.WaitForExit(TimeSpan.FromSeconds(90));
            if (!exited)
            {
                parent.Kill(entireProcessTree: true);
            }

            Assert.True(exited, "the parent hung on workers of another build");
            string text = await output;
            Assert.True(parent.ExitCode == 0, await error);
            string server = text.Split('\n').Single(l => l.StartsWith("server: ", StringComparison.Ordinal));
            Assert.Contains("different build", server, StringComparison.Ordinal);
            // A ParallelProcess of another build exits unsuccessfully, and says why on stderr (the user's, as in Python).
            string process = text.Split('\n').Single(l => l.StartsWith("process: ", StringComparison.Ordinal));
            Assert.NotEqual("process: exit code 0", process);
            Assert.Contains("runs a different build of", await error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>The same assembly with a fresh module version id: to the runtime, another build of it.</summary>
    private static byte[] WithNewModuleVersionId(byte[] image)
    {
        Guid mvid;
        using (var pe = new PEReader(new MemoryStream(image)))
        {
            MetadataReader metadata = pe.GetMetadataReader();
            mvid = metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
        }

        byte[] old = mvid.ToByteArray();
        int at = image.AsSpan().IndexOf(old);
        Assert.True(at >= 0, "the module version id was not found in the image");
        Assert.True(image.AsSpan(at + 1).IndexOf(old) < 0, "the module version id occurs twice in the image");
        byte[] patched = (byte[])image.Clone();
        Guid.NewGuid().ToByteArray().CopyTo(patched, at);
        return patched;
    }
}
