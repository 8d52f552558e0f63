using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ParallelKit.Generators.Csp.Models;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;

namespace ParallelKit.Generators.Csp;

/// <summary>Writes the <c>Processes</c> class of each type with <c>[CspProcess]</c> methods, and the assembly's process table.</summary>
internal static class CspProcessSourceWriter
{
    private const string GeneratedCode = "[global::System.CodeDom.Compiler.GeneratedCode(\"ParallelKit.Generators\", \"0.1.0\")]";
    private const string NonUserCode = "[global::System.Diagnostics.DebuggerNonUserCode]";
    private const string ExcludeFromCoverage = "[global::System.Diagnostics.CodeAnalysis.ExcludeFromCodeCoverage]";
    private const string HiddenFromEditor = "[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]";
    private const string Runtime = "global::ParallelKit.";

    /// <summary>The hint name of a type's file.</summary>
    public static string HintName(CspTypeModel type) => type.MetadataName.Replace('+', '.') + ".Processes.g.cs";

    /// <summary>The <c>Processes</c> class nested in the type that declares the processes.</summary>
    public static string WriteProcessesClass(CspTypeModel type)
    {
        var writer = new IndentedTextWriter();
        WriteHeader(writer);
        System.IDisposable? namespaceBlock = type.Namespace is null ? null : writer.Block($"namespace {type.Namespace}");
        var typeBlocks = new Stack<System.IDisposable>();
        foreach (CspTypeDeclarationModel declaration in type.Hierarchy)
        {
            typeBlocks.Push(writer.Block($"partial {declaration.Keyword} {declaration.Name}"));
        }

        writer.WriteLine($"/// <summary>Process descriptions for the <c>[CspProcess]</c> methods of <see cref=\"{type.FullyQualifiedName}\"/>: run them with <see cref=\"{Runtime}Csp\"/>.</summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Block("public static class Processes"))
        {
            for (int i = 0; i < type.Processes.Length; i++)
            {
                WriteFactory(writer, type, type.Processes[i]);
                writer.WriteLine();
            }

            for (int i = 0; i < type.Processes.Length; i++)
            {
                if (i > 0)
                {
                    writer.WriteLine();
                }

                WriteProcessClass(writer, type, type.Processes[i]);
            }
        }

        while (typeBlocks.Count > 0)
        {
            typeBlocks.Pop().Dispose();
        }

        namespaceBlock?.Dispose();
        return writer.ToString();
    }

    /// <summary>The assembly's process table: a module initializer that registers every process for OS-process runs.</summary>
    public static string WriteProcessTable(string assemblyName, IEnumerable<CspTypeModel> types)
    {
        var writer = new IndentedTextWriter();
        WriteHeader(writer);
        string className = "CspProcessTable_" + new string([.. assemblyName.Select(c => char.IsLetterOrDigit(c) ? c : '_')]);
        using (writer.Block("namespace ParallelKit.Generated"))
        {
            writer.WriteLine("/// <summary>Registers this assembly's <c>[CspProcess]</c> methods, so that an OS process started for one can run it.</summary>");
            writer.WriteLine(GeneratedCode);
            writer.WriteLine(HiddenFromEditor);
            using (writer.Block($"internal static class {className}"))
            {
                writer.WriteLine("/// <summary>Registers every process of this assembly with <see cref=\"global::ParallelKit.CspRegistry\"/>.</summary>");
                writer.WriteLine("[global::System.Runtime.CompilerServices.ModuleInitializer]");
                using (writer.Block("internal static void Register()"))
                {
                    foreach (CspTypeModel type in types)
                    {
                        foreach (CspProcessModel process in type.Processes)
                        {
                            string cls = $"{type.FullyQualifiedName}.Processes.{process.ClassName}";
                            writer.WriteLine($"{Runtime}CspRegistry.Register({cls}.Key, {Quote(process.DisplayName)}, static (ref {Runtime}JobReader arguments) => new {cls}(ref arguments));");
                        }
                    }
                }
            }
        }

        return writer.ToString();
    }

    private static void WriteFactory(IndentedTextWriter writer, CspTypeModel type, CspProcessModel process)
    {
        string returnType = process.ResultType is null ? $"{Runtime}CspProcessCall" : $"{Runtime}CspProcessCall<{process.ResultType}>";
        CspParameterModel[] given = [.. process.Parameters.Where(p => p.Kind != CspParameterKind.CancellationToken)];
        writer.WriteLine($"/// <summary>Describes a run of <see cref=\"{type.FullyQualifiedName}.{process.DocumentationId}\"/> as a CSP process.</summary>");
        foreach (CspParameterModel parameter in given)
        {
            writer.WriteLine($"/// <param name=\"{parameter.Name.TrimStart('@')}\">Passed to the process's <c>{parameter.Name.TrimStart('@')}</c> parameter.</param>");
        }

        writer.WriteLine($"/// <returns>The process; run it with <see cref=\"{Runtime}Csp.Parallel({Runtime}CspProcessCall[])\"/>.</returns>");
        writer.WriteLine(GeneratedCode);
        string parameters = string.Join(", ", given.Select(p => $"{p.Type} {p.Name}"));
        string arguments = string.Join(", ", given.Select(p => p.Name));
        writer.WriteLine($"{process.Accessibility} static {returnType} {process.MethodName}({parameters}) => new {process.ClassName}({arguments});");
    }

    private static void WriteProcessClass(IndentedTextWriter writer, CspTypeModel type, CspProcessModel process)
    {
        CspParameterModel[] given = [.. process.Parameters.Where(p => p.Kind != CspParameterKind.CancellationToken)];
        string baseType = process.ResultType is null ? $"{Runtime}VoidCspProcessCall" : $"{Runtime}CspProcessCall<{process.ResultType}>";
        writer.WriteLine($"/// <summary>One run of <see cref=\"{type.FullyQualifiedName}.{process.DocumentationId}\"/>.</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine(NonUserCode);
        writer.WriteLine(ExcludeFromCoverage);
        writer.WriteLine(HiddenFromEditor);
        using (writer.Block($"internal sealed class {process.ClassName} : {baseType}"))
        {
            writer.WriteLine("/// <summary>The process's identity in every OS process: a hash of its assembly, type, name and parameter types.</summary>");
            writer.WriteLine($"internal const ulong Key = 0x{process.Key.ToString("X16", CultureInfo.InvariantCulture)}UL;");
            writer.WriteLine();
            foreach (CspParameterModel parameter in given)
            {
                writer.WriteLine($"private readonly {parameter.Type} {parameter.FieldName};");
            }

            if (given.Length > 0)
            {
                writer.WriteLine();
            }

            writer.WriteLine("/// <summary>Captures the arguments of a run described in this process.</summary>");
            using (writer.Block($"internal {process.ClassName}({string.Join(", ", given.Select(p => $"{p.Type} {p.Name}"))})"))
            {
                foreach (CspParameterModel parameter in given)
                {
                    writer.WriteLine($"this.{parameter.FieldName} = {parameter.Name};");
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Reads the arguments marshaled by the OS process that started this one.</summary>");
            using (writer.Block($"internal {process.ClassName}(ref {Runtime}JobReader arguments)"))
            {
                foreach (CspParameterModel parameter in given)
                {
                    writer.WriteLine($"this.{parameter.FieldName} = {ReadExpression(parameter)};");
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public override string Name => {Quote(process.DisplayName)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"protected override bool IsBlocking => {(process.ReturnKind is JobReturnKind.Void or JobReturnKind.Value ? "true" : "false")};");
            writer.WriteLine();
            if (!process.Propagate)
            {
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine("protected override bool Propagates => false;");
                writer.WriteLine();
            }

            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine("protected override ulong ProcessKey => Key;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            using (writer.Block($"protected override void CollectEnds(global::System.Collections.Generic.ICollection<{Runtime}ChannelEnd> ends)"))
            {
                foreach (CspParameterModel parameter in given)
                {
                    switch (parameter.Kind)
                    {
                        case CspParameterKind.End:
                            writer.WriteLine($"Collect(ends, [this.{parameter.FieldName}]);");
                            break;
                        case CspParameterKind.EndArray:
                        case CspParameterKind.EndList:
                            writer.WriteLine($"Collect(ends, this.{parameter.FieldName});");
                            break;
                    }
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            string forked = string.Join(", ", given.Select(p => p.Kind is CspParameterKind.Value ? $"this.{p.FieldName}" : $"Fork(this.{p.FieldName})"));
            writer.WriteLine($"protected override {Runtime}CspProcessCall CreateReplica() => new {process.ClassName}({forked});");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            using (writer.Block($"protected override void WriteArguments(ref {Runtime}JobWriter writer)"))
            {
                foreach (CspParameterModel parameter in given)
                {
                    writer.WriteLine(parameter.Kind switch
                    {
                        CspParameterKind.End => $"{Runtime}CspMarshal.WriteEnd(ref writer, this.{parameter.FieldName});",
                        CspParameterKind.EndArray or CspParameterKind.EndList => $"{Runtime}CspMarshal.WriteEnds(ref writer, this.{parameter.FieldName});",
                        _ => $"writer.Write(this.{parameter.FieldName});",
                    });
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            string call = $"{type.FullyQualifiedName}.{process.MethodName}({string.Join(", ", process.Parameters.Select(p => p.Kind == CspParameterKind.CancellationToken ? "cancellationToken" : "this." + p.FieldName))})";
            string signature = process.ResultType is null
                ? "protected override global::System.Threading.Tasks.ValueTask InvokeAsync(global::System.Threading.CancellationToken cancellationToken)"
                : $"protected override global::System.Threading.Tasks.ValueTask<{process.ResultType}> InvokeAsync(global::System.Threading.CancellationToken cancellationToken)";
            switch (process.ReturnKind)
            {
                case JobReturnKind.Void:
                    using (writer.Block(signature))
                    {
                        writer.WriteLine($"{call};");
                        writer.WriteLine("return default;");
                    }

                    break;
                case JobReturnKind.Task:
                    writer.WriteLine($"{signature} => new global::System.Threading.Tasks.ValueTask({call});");
                    break;
                case JobReturnKind.Value:
                case JobReturnKind.TaskOfT:
                    writer.WriteLine($"{signature} => new global::System.Threading.Tasks.ValueTask<{process.ResultType}>({call});");
                    break;
                default:
                    writer.WriteLine($"{signature} => {call};");
                    break;
            }
        }
    }

    private static string ReadExpression(CspParameterModel parameter)
    {
        string side = parameter.IsInput ? "In" : "Out";
        return parameter.Kind switch
        {
            CspParameterKind.End => $"{Runtime}CspMarshal.Read{side}<{parameter.ElementType}>(ref arguments)",
            CspParameterKind.EndArray => $"{Runtime}CspMarshal.Read{side}Array<{parameter.ElementType}>(ref arguments)",
            CspParameterKind.EndList => $"{Runtime}CspMarshal.Read{side}List<{parameter.ElementType}>(ref arguments)",
            _ => $"arguments.Read<{parameter.Type}>()",
        };
    }

    private static void WriteHeader(IndentedTextWriter writer)
    {
        writer.WriteLine("// <auto-generated/>");
        writer.WriteLine("#nullable enable");
        writer.WriteLine("#pragma warning disable CS0618 // A process may be [Obsolete]; its description is still generated.");
        writer.WriteLine("#pragma warning disable CA2255 // The process table's module initializer registers processes for OS-process runs, by design.");
        writer.WriteLine();
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
