using System.Text;
using Herald.Cli.Agents;

namespace Herald.Cli.Tests;

public sealed class OutputChunkerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(1)]
    public async Task ReadAsync_LineEnds_EachBecomesOneNewlineWhateverTheReadSizes(int bytesPerRead)
    {
        var input = "a\nb\r\nc\rd\r\n\r\ne"u8.ToArray();

        var pieces = await ReadAllAsync(new TrickleStream(input, bytesPerRead), 16);

        Assert.Equal(["a\n", "b\n", "c\n", "d\n", "\n", "e"], pieces);
    }

    [Fact]
    public async Task ReadAsync_LongLineOfMultiByteCharacters_SplitsBetweenCharactersWithinTheLimit()
    {
        // 2-, 3- and 4-byte characters, so that the limit falls inside one of them again and again.
        var line = string.Concat(Enumerable.Repeat("é€😀x", 500));
        var input = Encoding.UTF8.GetBytes(line + "\n" + line);

        var pieces = await ReadAllAsync(new TrickleStream(input, 7), 64);

        Assert.Equal(line + "\n" + line, string.Concat(pieces));
        Assert.Single(pieces, p => p.EndsWith('\n'));
        Assert.All(pieces, p => Assert.DoesNotContain('\uFFFD', p));
        Assert.All(pieces, p => Assert.InRange(Encoding.UTF8.GetByteCount(p.TrimEnd('\n')), 1, 64));

        // A piece that does not end its line was cut only for the limit: full up to less than one character.
        var cutForLimit = pieces.Where((p, i) => !p.EndsWith('\n') && i < pieces.Count - 1).ToList();
        Assert.NotEmpty(cutForLimit);
        Assert.All(cutForLimit, p => Assert.InRange(Encoding.UTF8.GetByteCount(p), 61, 64));
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8_BecomesReplacementCharacters()
    {
        var pieces = await ReadAllAsync(new MemoryStream([(byte)'a', 0xFF, 0xC3, (byte)'\n', 0xED, 0xA0, 0x80, (byte)'b']), 16);

        // Never a lone surrogate (0xED 0xA0 0x80 would be U+D800): only text a JSON writer can encode.
        Assert.Equal("a\uFFFD\uFFFD\n", pieces[0]);
        Assert.EndsWith("b", pieces[1], StringComparison.Ordinal);
        Assert.All(pieces[1][..^1], c => Assert.Equal('\uFFFD', c));
    }

    [Fact]
    public async Task ReadAsync_EndlessLine_YieldsPiecesOfTheLimitAsTheyFill()
    {
        using var endless = new EndlessStream((byte)'x');
        var pieces = new List<string>();
        await foreach (var piece in OutputChunker.ReadAsync(endless, 1024))
        {
            pieces.Add(piece);
            if (pieces.Count == 10_000)
            {
                break;
            }
        }

        // 10 MB read, each piece out as soon as it was full: nothing accumulated beyond one line buffer.
        Assert.All(pieces, p => Assert.Equal(new string('x', 1024), p));
        Assert.InRange(endless.BytesRead, 10_000 * 1024, (10_000 * 1024) + (64 * 1024));
    }

    [Fact]
    public async Task ReadAsync_CanceledWhileWaiting_YieldsWhatWasReadAndEnds()
    {
        var stalled = new StalledStream("partial line"u8.ToArray());
        using var cut = new CancellationTokenSource();
        await using var pieces = OutputChunker.ReadAsync(stalled, 1024, cut.Token).GetAsyncEnumerator();

        var next = pieces.MoveNextAsync().AsTask();
        await stalled.Stalled.WaitAsync(Timeout);
        Assert.False(next.IsCompleted);
        await cut.CancelAsync();

        Assert.True(await next.WaitAsync(Timeout));
        Assert.Equal("partial line", pieces.Current);
        Assert.False(await pieces.MoveNextAsync());
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0x62, 0x63, 0x64 }, 4)]
    [InlineData(new byte[] { 0x61, 0x62, 0x63, 0xC3 }, 3)]
    [InlineData(new byte[] { 0x61, 0x62, 0xE2, 0x82 }, 2)]
    [InlineData(new byte[] { 0x61, 0xE2, 0x82, 0xAC }, 4)]
    [InlineData(new byte[] { 0x61, 0xF0, 0x9F, 0x98 }, 1)]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, 4)]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80 }, 4)]
    public void CharacterBoundary_CutsBeforeAnIncompleteTrailingCharacterOnly(byte[] full, int expected) =>
        Assert.Equal(expected, OutputChunker.CharacterBoundary(full));

    private static async Task<List<string>> ReadAllAsync(Stream stream, int maxLineBytes)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var pieces = new List<string>();
        await foreach (var piece in OutputChunker.ReadAsync(stream, maxLineBytes, timeout.Token))
        {
            pieces.Add(piece);
        }

        Assert.False(timeout.IsCancellationRequested);
        return pieces;
    }

    /// <summary>Returns at most a few bytes per read, as a pipe fed by a slow writer does.</summary>
    private sealed class TrickleStream(byte[] data, int bytesPerRead) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, bytesPerRead)], cancellationToken);
    }

    /// <summary>Never ends: every read fills the buffer with the same byte.</summary>
    private sealed class EndlessStream(byte value) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(value);
            BytesRead += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Returns its bytes, then waits for more that never come (a pipe whose writer went quiet) until canceled.</summary>
    private sealed class StalledStream(byte[] first) : MemoryStream(first)
    {
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Stalled => _stalled.Task;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                return read;
            }

            _stalled.TrySetResult();
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
            return 0;
        }
    }
}
