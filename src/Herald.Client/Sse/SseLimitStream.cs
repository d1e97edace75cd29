namespace Herald.Client.Sse;

/// <summary>
/// A read-only pass-through over an SSE body that fails as soon as one event (the bytes of its lines
/// up to the blank line that dispatches it) exceeds a limit. <c>SseParser</c> has no limit of its own:
/// it would grow its buffer for an endless line.
/// </summary>
internal sealed class SseLimitStream(Stream inner, int maxEventSize) : Stream
{
    private long _eventLength;
    private long _lineLength;
    private bool _afterCr;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Scan(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Scan(buffer.Span[..read]);
        return read;
    }

    private void Scan(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b == (byte)'\n')
            {
                if (_afterCr)
                {
                    _afterCr = false; // second half of CRLF
                    continue;
                }

                EndLine();
            }
            else if (b == (byte)'\r')
            {
                _afterCr = true;
                EndLine();
            }
            else
            {
                _afterCr = false;
                _lineLength++;
                if (++_eventLength > maxEventSize)
                {
                    throw new A2AResponseTooLargeException(maxEventSize, "an SSE event");
                }
            }
        }
    }

    private void EndLine()
    {
        if (_lineLength == 0)
        {
            _eventLength = 0; // a blank line dispatches the event
        }

        _lineLength = 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
