using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using static ParallelKit.Generators.Helpers.GeneratedCodeAttributes;

namespace ParallelKit.Generators.Jobs;

/// <summary>Writes the generated sources: per-type <c>Jobs</c> classes, the job table, the worker entrypoint.</summary>
internal static class JobSourceWriter
{
    /// <summary>Members a call class declares or inherits (visibly, outside the runtime): no field may take these names.</summary>
    private static readonly string[] CallClassMemberNames =
    [
        "Key", "JobName", "JobKey", "WriteArguments", "InvokeAsync",
        "ToString", "Equals", "GetHashCode", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
    ];

    /// <summary>The <c>Jobs</c> class nested in the type that declares the jobs.</summary>
    public static string WriteJobsClass(JobTypeModel type)
    {
        var writer = new IndentedTextWriter();
        WriteHeader(writer);
        using (TypeHierarchy.Open(writer, type.Namespace, type.Hierarchy))
        {
            writer.WriteLine($"/// <summary>Job calls for the <c>[ParallelJob]</c> methods of <see cref=\"{type.FullyQualifiedName}\"/>: submit them to a <see cref=\"global::ParallelKit.JobServer\"/>.</summary>");
            writer.WriteLine(GeneratedCode);
            using (writer.Block(type.HidesInheritedJobs ? "public static new class Jobs" : "public static class Jobs"))
            {
                for (int i = 0; i < type.Jobs.Length; i++)
                {
                    if (i > 0)
                    {
                        writer.WriteLine();
                    }

                    WriteFactory(writer, type, type.Jobs[i]);
                }

                foreach (JobModel job in type.Jobs)
                {
                    writer.WriteLine();
                    WriteCallClass(writer, type, job);
                }
            }
        }

        return writer.ToString();
    }

    /// <summary>The assembly's job table and the attribute that lets executables find it.</summary>
    public static string WriteJobTable(string tableName, IEnumerable<(JobTypeModel Type, JobModel Job)> jobs)
    {
        var writer = new IndentedTextWriter();
        WriteHeader(writer);
        writer.WriteLine($"[assembly: global::ParallelKit.ParallelJobAssembly(typeof(global::ParallelKit.Generated.{tableName}))]");
        writer.WriteLine();
        using (writer.Block("namespace ParallelKit.Generated"))
        {
            writer.WriteLine("/// <summary>The dispatch table of this assembly's <c>[ParallelJob]</c> methods, registered in worker processes.</summary>");
            writer.WriteLine(GeneratedCode);
            writer.WriteLine(HiddenFromEditor);
            using (writer.Block($"public static class {tableName}"))
            {
                writer.WriteLine("/// <summary>Registers every job of this assembly with <see cref=\"global::ParallelKit.JobRegistry\"/>.</summary>");
                using (writer.Block("public static void Register()"))
                {
                    foreach ((JobTypeModel type, JobModel job) in jobs)
                    {
                        string call = $"{type.FullyQualifiedName}.Jobs.{job.CallClassName}";
                        writer.WriteLine("global::ParallelKit.JobRegistry.Register(");
                        writer.Indent();
                        writer.WriteLine($"{call}.Key,");
                        writer.WriteLine($"{Quote(job.DisplayName)},");
                        writer.WriteLine($"static (ref global::ParallelKit.JobReader arguments) => new {call}(ref arguments));");
                        writer.Unindent();
                    }
                }
            }
        }

        return writer.ToString();
    }

    /// <summary>The executable's module initializer that turns a worker relaunch into a worker.</summary>
    /// <param name="jobTables">The job tables to register.</param>
    /// <param name="servesBeforeMain">Whether the entry type's generated static constructor serves workers (else the startup hook does).</param>
    public static string WriteEntryPoint(IEnumerable<string> jobTables, bool servesBeforeMain)
    {
        var writer = new IndentedTextWriter();
        WriteHeader(writer);
        using (writer.Block("namespace ParallelKit.Generated"))
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// Runs before <c>Main</c>: when this executable was started as a ParallelKit worker it serves jobs and exits;");
            writer.WriteLine("/// otherwise it only tells the runtime that workers can be started.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(GeneratedCode);
            writer.WriteLine(NonUserCode);
            writer.WriteLine(ExcludeFromCoverage);
            using (writer.Block("internal static class WorkerEntryPoint"))
            {
                writer.WriteLine("[global::System.Runtime.CompilerServices.ModuleInitializer]");
                writer.WriteLine(servesBeforeMain
                    ? "internal static void Initialize() => global::ParallelKit.WorkerHost.Initialize(typeof(WorkerEntryPoint).Assembly, RegisterJobs, servesBeforeMain: true);"
                    : "internal static void Initialize() => global::ParallelKit.WorkerHost.Initialize(typeof(WorkerEntryPoint).Assembly, RegisterJobs);");
                writer.WriteLine();
                using (writer.Block("private static void RegisterJobs()"))
                {
                    foreach (string table in jobTables)
                    {
                        writer.WriteLine($"{table}.Register();");
                    }
                }
            }
        }

        return writer.ToString();
    }

    /// <summary>
    /// The static constructor of the type declaring <c>Main</c>: it runs after the module initializer and before
    /// <c>Main</c>, and serves jobs there when this executable was started as a worker.
    /// </summary>
    public static string WriteEntryTypeConstructor(EntryTypeModel entryType)
    {
        var writer = new IndentedTextWriter();
        WriteHeader(writer);
        IDisposable? ns = entryType.Namespace.Length == 0 ? null : writer.Block("namespace " + entryType.Namespace);
        using (writer.Block("partial class " + entryType.Name))
        {
            writer.WriteLine("/// <summary>Serves jobs, instead of running <c>Main</c>, when this executable was started as a ParallelKit worker.</summary>");
            writer.WriteLine(GeneratedCode);
            writer.WriteLine(NonUserCode);
            writer.WriteLine(ExcludeFromCoverage);
            writer.WriteLine($"static {entryType.Name}() => global::ParallelKit.WorkerHost.RunBeforeMain();");
        }

        ns?.Dispose();
        return writer.ToString();
    }

    /// <summary>The job table's class name: readable, and unique per assembly name.</summary>
    public static string JobTableName(string assemblyName)
    {
        var name = new StringBuilder("JobTable_");
        foreach (char c in assemblyName)
        {
            name.Append(char.IsLetterOrDigit(c) ? c : '_');
        }

        name.Append('_').Append((StableHash.Fnv1a64(assemblyName) & 0xFFFFFFFF).ToString("X8", CultureInfo.InvariantCulture));
        return name.ToString();
    }

    private static void WriteHeader(IndentedTextWriter writer)
    {
        writer.WriteLine("// <auto-generated/>");
        writer.WriteLine("#nullable enable");
        writer.WriteLine("#pragma warning disable CS0618 // A job may be [Obsolete]; its call is still generated.");
        writer.WriteLine("#pragma warning disable CA2255 // The module initializer is the worker entrypoint, by design.");
        writer.WriteLine();
    }

    private static void WriteFactory(IndentedTextWriter writer, JobTypeModel type, JobModel job)
    {
        string returnType = ResultCallType(job);
        IEnumerable<ParameterModel> marshaled = job.Parameters.Where(p => !p.IsCancellationToken);
        string parameters = string.Join(", ", marshaled.Select(p =>
            (p.IsParams ? "params " : string.Empty) + p.Type + " " + p.Name + (p.DefaultValue is null ? string.Empty : " = " + p.DefaultValue)));
        string arguments = string.Join(", ", marshaled.Select(p => p.Name));
        writer.WriteLine($"/// <summary>Describes a call of <see cref=\"{type.FullyQualifiedName}.{job.DocumentationId}\"/> for a job server to run.</summary>");
        foreach (ParameterModel parameter in marshaled)
        {
            string name = parameter.Name.TrimStart('@');
            writer.WriteLine($"/// <param name=\"{name}\">Passed to the job's <c>{name}</c> parameter.</param>");
        }

        writer.WriteLine("/// <returns>The job call; pass it to <see cref=\"global::ParallelKit.JobServer.Submit(global::ParallelKit.JobCall, global::System.Threading.CancellationToken)\"/>.</returns>");
        writer.WriteLine(GeneratedCode);
        string modifiers = job.FactoryHidesObjectMember ? "static new" : "static";
        writer.WriteLine($"{job.Accessibility} {modifiers} {returnType} {job.MethodName}({parameters}) => new {job.CallClassName}({arguments});");
    }

    private static void WriteCallClass(IndentedTextWriter writer, JobTypeModel type, JobModel job)
    {
        ParameterModel[] marshaled = [.. job.Parameters.Where(p => !p.IsCancellationToken)];
        string[] fields = FieldNames(job, marshaled);
        string baseType = job.ResultType is null ? "global::ParallelKit.VoidJobCall" : $"global::ParallelKit.JobCall<{job.ResultType}>";
        writer.WriteLine($"/// <summary>One marshaled call of <see cref=\"{type.FullyQualifiedName}.{job.DocumentationId}\"/>.</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine(NonUserCode);
        writer.WriteLine(ExcludeFromCoverage);
        writer.WriteLine(HiddenFromEditor);
        using (writer.Block($"internal sealed class {job.CallClassName} : {baseType}"))
        {
            writer.WriteLine("/// <summary>The job's identity in every process: a hash of its assembly, type, name and parameter types.</summary>");
            writer.WriteLine($"internal const ulong Key = 0x{job.Key.ToString("X16", CultureInfo.InvariantCulture)}UL;");
            if (marshaled.Length > 0)
            {
                writer.WriteLine();
            }

            for (int i = 0; i < marshaled.Length; i++)
            {
                writer.WriteLine($"private readonly {marshaled[i].Type} {fields[i]};");
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Captures the arguments of a call made in this process.</summary>");
            using (writer.Block($"internal {job.CallClassName}({string.Join(", ", marshaled.Select(p => p.Type + " " + p.Name))})"))
            {
                for (int i = 0; i < marshaled.Length; i++)
                {
                    writer.WriteLine($"this.{fields[i]} = {marshaled[i].Name};");
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Reads the arguments of a call marshaled by another process.</summary>");
            using (writer.Block($"internal {job.CallClassName}(ref global::ParallelKit.JobReader arguments)"))
            {
                for (int i = 0; i < marshaled.Length; i++)
                {
                    writer.WriteLine($"this.{fields[i]} = arguments.Read<{marshaled[i].Type}>();");
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public override string JobName => {Quote(job.DisplayName)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine("protected override ulong JobKey => Key;");
            if (!job.Retry)
            {
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine("protected override bool IsRetryable => false;");
            }

            if (job.Requires is { } requires)
            {
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"protected override string? DeclaredRequiredTag => {Quote(requires)};");
            }
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            if (marshaled.Length == 0)
            {
                writer.WriteLine("protected override void WriteArguments(ref global::ParallelKit.JobWriter writer)");
                writer.WriteLine("{");
                writer.WriteLine("}");
            }
            else
            {
                using (writer.Block("protected override void WriteArguments(ref global::ParallelKit.JobWriter writer)"))
                {
                    foreach (string field in fields)
                    {
                        writer.WriteLine($"writer.Write(this.{field});");
                    }
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            int next = 0;
            string invocation = $"{type.FullyQualifiedName}.{job.MethodName}({string.Join(", ", job.Parameters.Select(p => p.IsCancellationToken ? "cancellationToken" : "this." + fields[next++]))})";
            string signature = job.ResultType is null
                ? "protected override global::System.Threading.Tasks.ValueTask InvokeAsync(global::System.Threading.CancellationToken cancellationToken)"
                : $"protected override global::System.Threading.Tasks.ValueTask<{job.ResultType}> InvokeAsync(global::System.Threading.CancellationToken cancellationToken)";
            switch (job.ReturnKind)
            {
                case JobReturnKind.Void:
                    using (writer.Block(signature))
                    {
                        writer.WriteLine($"{invocation};");
                        writer.WriteLine("return default;");
                    }

                    break;
                case JobReturnKind.Task:
                    writer.WriteLine($"{signature} => new global::System.Threading.Tasks.ValueTask({invocation});");
                    break;
                case JobReturnKind.TaskOfT:
                case JobReturnKind.Value:
                    writer.WriteLine($"{signature} => new global::System.Threading.Tasks.ValueTask<{job.ResultType}>({invocation});");
                    break;
                default:
                    writer.WriteLine($"{signature} => {invocation};");
                    break;
            }
        }
    }

    /// <summary>
    /// The call class's field for each marshaled parameter: the parameter's own name, unless the call class
    /// already has a member of that name (its key, the members it overrides or inherits, its own name), in
    /// which case '_' is appended until the name is free.
    /// </summary>
    private static string[] FieldNames(JobModel job, ParameterModel[] marshaled)
    {
        var reserved = new HashSet<string>(CallClassMemberNames, StringComparer.Ordinal) { job.CallClassName };
        var taken = new HashSet<string>(reserved, StringComparer.Ordinal);
        foreach (ParameterModel parameter in marshaled)
        {
            taken.Add(parameter.Name.TrimStart('@'));
        }

        string[] fields = new string[marshaled.Length];
        for (int i = 0; i < marshaled.Length; i++)
        {
            string name = marshaled[i].Name;
            if (reserved.Contains(name))
            {
                do
                {
                    name += "_";
                }
                while (!taken.Add(name));
            }

            fields[i] = name;
        }

        return fields;
    }

    private static string ResultCallType(JobModel job)
        => job.ResultType is null ? "global::ParallelKit.JobCall" : $"global::ParallelKit.JobCall<{job.ResultType}>";

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
