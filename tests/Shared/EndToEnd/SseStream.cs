using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Herald.Testing.EndToEnd;

/// <summary>One parsed SSE event with its JSON-RPC envelope.</summary>
public sealed record SseEvent(string? Id, string EventType, string Data)
{
    private JsonElement? _json;

    /// <summary>The data line as JSON (the JSON-RPC response envelope).</summary>
    public JsonElement Json => _json ??= JsonDocument.Parse(Data).RootElement.Clone();

    /// <summary>The <c>result</c> member (a StreamResponse).</summary>
    public JsonElement Result => Json.GetProperty("result");

    /// <summary>Which member of the StreamResponse is set: task, message, statusUpdate or artifactUpdate.</summary>
    public string Kind => Assert.Single(Result.EnumerateObject()).Name;

    /// <summary>The state of a statusUpdate (or of a task) event.</summary>
    public string State => Kind switch
    {
        "statusUpdate" => Result.GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString()!,
        "task" => Result.GetProperty("task").GetProperty("status").GetProperty("state").GetString()!,
        _ => throw new InvalidOperationException($"A {Kind} event has no state."),
    };

    public long Sequence => long.Parse(Id!, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// An open SSE response read with the BCL <see cref="SseParser"/> in the background. Every byte the
/// parser reads is also recorded, so tests can assert the exact framing on the wire (comments,
/// <c>retry:</c>, <c>event:</c> lines) that the parser hides.
/// </summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly RecordingStream _raw;
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _started = Bounded.NewSignal();
    private readonly Task _pump;

    private SseStream(HttpResponseMessage response, Stream body, bool read)
    {
        Response = response;
        _raw = new RecordingStream(body);
        _pump = Task.Run(async () =>
        {
            await _started.Task;
            await PumpAsync();
        });
        if (read)
        {
            StartReading();
        }
    }

    public HttpResponseMessage Response { get; }

    /// <summary>Everything received so far, as text.</summary>
    public string RawText => _raw.Text;

    /// <summary>Completes when the server has closed the stream.</summary>
    public Task Ended => _pump;

    public static async Task<SseStream> OpenAsync(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Within();
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await FromResponseAsync(response);
    }

    /// <summary>
    /// Reads an SSE response whose headers have arrived. With <paramref name="read"/> false nothing is read until
    /// <see cref="StartReading"/>: the server's writes back up, as with a client that stalls.
    /// </summary>
    public static async Task<SseStream> FromResponseAsync(HttpResponseMessage response, bool read = true)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStreamAsync();
        return new SseStream(response, body, read);
    }

    /// <summary>Starts reading the body (once; streams opened to be read start at once).</summary>
    public void StartReading() => _started.TrySetResult();

    /// <summary>The next event; fails if the stream ends or nothing arrives within the bound.</summary>
    public async Task<SseEvent> NextAsync()
    {
        try
        {
            return await _events.Reader.ReadAsync().AsTask().WaitAsync(Bounded.Timeout);
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"The stream ended while an event was expected. Received:\n{RawText}");
            throw;
        }
    }

    /// <summary>The next <paramref name="count"/> events.</summary>
    public async Task<List<SseEvent>> NextAsync(int count)
    {
        var list = new List<SseEvent>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(await NextAsync());
        }

        return list;
    }

    /// <summary>All remaining events; fails unless the server closes the stream within the bound.</summary>
    public async Task<List<SseEvent>> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var list = new List<SseEvent>();
        using var cts = new CancellationTokenSource(timeout ?? Bounded.Timeout);
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(cts.Token))
            {
                list.Add(e);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Assert.Fail($"The stream did not close within the bound; it delivered {list.Count} more event(s).");
        }

        await _pump.Within();
        return list;
    }

    /// <summary>Waits until the raw bytes received contain <paramref name="text"/>.</summary>
    public Task WaitForRawAsync(string text, int occurrences = 1) => _raw.WaitForAsync(text, occurrences);

    public async ValueTask DisposeAsync()
    {
        StartReading(); // so that the pump sees the cancellation and ends
        await _stop.CancelAsync();
        Response.Dispose();
        try
        {
            await _pump.WaitAsync(Bounded.Timeout);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var item in SseParser.Create(_raw).EnumerateAsync(_stop.Token))
            {
                _events.Writer.TryWrite(new SseEvent(item.EventId, item.EventType, item.Data));
            }

            _events.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _events.Writer.TryComplete(ex);
            throw;
        }
    }

    /// <summary>Passes reads through and keeps a copy of every byte; wakes waiters on each read.</summary>
    private sealed class RecordingStream(Stream inner) : Stream
    {
        private readonly Lock _gate = new();
        private readonly MemoryStream _copy = new();
        private TaskCompletionSource _changed = Bounded.NewSignal();
        private bool _ended;

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return Encoding.UTF8.GetString(_copy.GetBuffer(), 0, (int)_copy.Length);
                }
            }
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = 0;
            try
            {
                read = await inner.ReadAsync(buffer, cancellationToken);
                return read;
            }
            finally
            {
                Record(buffer.Span[..read], ended: read == 0);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public async Task WaitForAsync(string text, int occurrences)
        {
            using var cts = new CancellationTokenSource(Bounded.Timeout);
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    var current = Encoding.UTF8.GetString(_copy.GetBuffer(), 0, (int)_copy.Length);
                    if (Count(current, text) >= occurrences)
                    {
                        return;
                    }

                    if (_ended)
                    {
                        Assert.Fail($"The stream ended without '{text}' x{occurrences}. Received:\n{current}");
                    }

                    changed = _changed.Task;
                }

                try
                {
                    await changed.WaitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"'{text}' x{occurrences} did not arrive within the bound. Received:\n{Text}");
                }
            }
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
                _copy.Dispose();
            }

            base.Dispose(disposing);
        }

        private static int Count(string haystack, string needle)
        {
            var count = 0;
            for (var i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
            {
                count++;
            }

            return count;
        }

        private void Record(ReadOnlySpan<byte> bytes, bool ended)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                _copy.Write(bytes);
                _ended |= ended;
                changed = _changed;
                _changed = Bounded.NewSignal();
            }

            changed.TrySetResult();
        }
    }
}

/// <summary>Splits raw SSE text into blocks of (field, value) lines, exactly as sent.</summary>
public static class RawSse
{
    public static List<List<(string Field, string Value)>> Blocks(string raw)
    {
        Assert.DoesNotContain("\r", raw, StringComparison.Ordinal);
        var blocks = new List<List<(string, string)>>();
        foreach (var block in raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = new List<(string, string)>();
            foreach (var line in block.Split('\n'))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                lines.Add(colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' ')));
            }

            blocks.Add(lines);
        }

        return blocks;
    }
}
