using System.Text;
using System.Threading.Channels;

namespace Herald.Cli.Tests;

/// <summary>A console stand-in that hands every completed line to the test as it is written.</summary>
internal sealed class LineWriter : TextWriter
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _current = new();
    private readonly Lock _gate = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                _lines.Writer.TryWrite(_current.ToString().TrimEnd('\r'));
                _current.Clear();
            }
            else
            {
                _current.Append(value);
            }
        }
    }

    public async Task<string> ReadLineAsync(TimeSpan timeout) => await _lines.Reader.ReadAsync().AsTask().WaitAsync(timeout);
}
