using System;
using System.Text;

namespace ParallelKit.Gpu.Generators.Helpers;

/// <summary>A minimal indented writer for generated sources: four spaces per level, '\n' line ends.</summary>
internal sealed class IndentedTextWriter
{
    private readonly StringBuilder _text = new();
    private int _depth;
    private bool _atLineStart = true;

    public IndentedTextWriter WriteLine(string line = "")
    {
        if (line.Length > 0)
        {
            WriteIndent();
            _text.Append(line);
        }

        _text.Append('\n');
        _atLineStart = true;
        return this;
    }

    public IndentedTextWriter Write(string text)
    {
        WriteIndent();
        _text.Append(text);
        return this;
    }

    public IDisposable Block(string? header = null)
    {
        if (header is not null)
        {
            WriteLine(header);
        }

        WriteLine("{");
        _depth++;
        return new Closer(this);
    }

    public void Indent() => _depth++;

    public void Unindent() => _depth--;

    public override string ToString() => _text.ToString();

    private void WriteIndent()
    {
        if (_atLineStart)
        {
            _text.Append(' ', _depth * 4);
            _atLineStart = false;
        }
    }

    private sealed class Closer(IndentedTextWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer._depth--;
            writer.WriteLine("}");
        }
    }
}
