namespace Custos.Core.Audit;

/// <summary>Reads '\n'-terminated lines as bytes from a stream, refusing lines longer than a limit.</summary>
internal sealed class LineReader(Stream stream, int maxLineBytes)
{
    /// <summary>The stream read from.</summary>
    public Stream Stream => stream;

    private readonly byte[] _buffer = new byte[1 << 20];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>Bytes read from the stream but not yet returned as lines; the caller takes over reading.</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer.AsMemory(_start, _end - _start);

    /// <summary>True when the stream has ended.</summary>
    public bool AtEnd => _eof;

    /// <summary>1-based number of the last line returned.</summary>
    public int LineNumber { get; private set; }

    public async ValueTask<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var carry = new List<byte[]>();
        var carried = 0;
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = Take(carry, carried, newline);
                _start += newline + 1;
                LineNumber++;
                return line;
            }
            if (_eof)
            {
                if (_end == _start && carried == 0) return null;
                var line = Take(carry, carried, _end - _start);
                _start = _end;
                LineNumber++;
                return line;
            }
            if (_end - _start > 0)
            {
                carry.Add(_buffer.AsSpan(_start, _end - _start).ToArray());
                carried += _end - _start;
                if (carried > maxLineBytes) throw new FormatException($"line {LineNumber + 1}: longer than {maxLineBytes} bytes");
            }
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            _eof = _end == 0;
        }
    }

    private byte[] Take(List<byte[]> carry, int carried, int length)
    {
        if (carried + length > maxLineBytes) throw new FormatException($"line {LineNumber + 1}: longer than {maxLineBytes} bytes");
        var line = new byte[carried + length];
        var at = 0;
        foreach (var part in carry)
        {
            part.CopyTo(line, at);
            at += part.Length;
        }
        _buffer.AsSpan(_start, length).CopyTo(line.AsSpan(at));
        var n = line.Length;
        if (n > 0 && line[n - 1] == (byte)'\r') return line[..(n - 1)];
        return line;
    }
}
