using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace Herald.Cli.Tests;

/// <summary>One SSE event of a JSON-RPC stream and when it arrived.</summary>
internal sealed record TimedSseEvent(string? Id, string Data, TimeSpan At)
{
    private static readonly string[] TerminalStates = ["TASK_STATE_COMPLETED", "TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_REJECTED"];

    public long? Sequence => long.TryParse(Id, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();

    public bool IsError => Json.TryGetProperty("error", out _);

    /// <summary>The StreamResponse member set: task, message, statusUpdate or artifactUpdate; "error" for an error envelope.</summary>
    public string Kind => IsError ? "error" : Json.GetProperty("result").EnumerateObject().First().Name;

    public string? State => Kind switch
    {
        "statusUpdate" => Json.GetProperty("result").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString(),
        "task" => Json.GetProperty("result").GetProperty("task").GetProperty("status").GetProperty("state").GetString(),
        _ => null,
    };

    public bool IsTerminal => Kind == "statusUpdate" && TerminalStates.Contains(State);

    /// <summary>The text of an artifact chunk, else null.</summary>
    public string? ChunkText => Kind == "artifactUpdate"
        ? Json.GetProperty("result").GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString()
        : null;
}

/// <summary>
/// An SSE response read in the background, with the time each piece of it arrived (events and comments alike): shows
/// whether a stream stayed alive through a fault or went silent, and how it ended.
/// </summary>
internal sealed class TimedSseStream : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _arrivals = [];
    private readonly List<TimedSseEvent> _events = [];
    private readonly StringBuilder _raw = new();
    private readonly Stopwatch _clock;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private TaskCompletionSource _changed = Bounded.NewSignal();

    private TimedSseStream(HttpResponseMessage response, Stream body, Stopwatch clock)
    {
        _response = response;
        _clock = clock;
        _pump = Task.Run(() => PumpAsync(new TimingStream(body, this)));
    }

    public IReadOnlyList<TimedSseEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>When the server closed the stream (or the connection broke); null while it is open.</summary>
    public TimeSpan? EndedAt { get; private set; }

    /// <summary>What broke the stream, when it did not end cleanly.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>How many <c>: keep-alive</c> comments arrived so far.</summary>
    public int KeepAlives
    {
        get
        {
            lock (_gate)
            {
                var text = _raw.ToString();
                var count = 0;
                for (var at = text.IndexOf(": keep-alive", StringComparison.Ordinal); at >= 0; at = text.IndexOf(": keep-alive", at + 1, StringComparison.Ordinal))
                {
                    count++;
                }

                return count;
            }
        }
    }

    /// <summary>The last characters received, for assertion messages.</summary>
    public string RawTail
    {
        get
        {
            lock (_gate)
            {
                var text = _raw.ToString();
                return text.Length <= 1500 ? text : "..." + text[^1500..];
            }
        }
    }

    /// <summary>Sends the request; null when the response headers did not arrive within <paramref name="bound"/>.</summary>
    public static async Task<TimedSseStream?> OpenAsync(HttpClient http, HttpRequestMessage request, Stopwatch clock, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new TimedSseStream(response, await response.Content.ReadAsStreamAsync(), clock);
    }

    /// <summary>Waits until <paramref name="done"/> holds or the stream ends; false if neither happened within <paramref name="bound"/>.</summary>
    public async Task<bool> WaitAsync(Func<TimedSseStream, bool> done, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (done(this) || EndedAt is not null)
            {
                return done(this) || EndedAt is not null;
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Waits for the server to close the stream; false if it is still open after <paramref name="bound"/>.</summary>
    public Task<bool> WaitForEndAsync(TimeSpan bound) => WaitAsync(s => s.EndedAt is not null, bound);

    /// <summary>The longest time between <paramref name="from"/> and <paramref name="to"/> (or the stream's end) in which nothing arrived.</summary>
    public TimeSpan LongestSilence(TimeSpan from, TimeSpan to)
    {
        lock (_gate)
        {
            var end = EndedAt is { } ended && ended < to ? ended : to;
            var longest = TimeSpan.Zero;
            var previous = from;
            foreach (var at in _arrivals.Where(a => a > from && a <= end).Append(end))
            {
                longest = at - previous > longest ? at - previous : longest;
                previous = at;
            }

            return longest;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _pump.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task PumpAsync(Stream body)
    {
        try
        {
            await foreach (var item in SseParser.Create(body).EnumerateAsync(_stop.Token))
            {
                lock (_gate)
                {
                    _events.Add(new TimedSseEvent(item.EventId, item.Data, _clock.Elapsed));
                }

                Signal();
            }
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            Failure = ex;
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Disposed by the test.
        }
        finally
        {
            EndedAt ??= _clock.Elapsed;
            Signal();
        }
    }

    private void Arrived(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            _arrivals.Add(_clock.Elapsed);
            _raw.Append(Encoding.UTF8.GetString(bytes));
        }

        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = Bounded.NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>Passes reads through and notes when each one brought bytes.</summary>
    private sealed class TimingStream(Stream inner, TimedSseStream owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                owner.Arrived(buffer.Span[..read]);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

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
}
