using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Herald.AspNetCore.Tests;

/// <summary>One SSE event as a test sees it: id, optional event name, and the parsed data.</summary>
internal sealed record SseEvent(string? Id, string EventType, JsonElement Data)
{
    public long Sequence => long.Parse(Id!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"task", "statusUpdate", "artifactUpdate", "message", or "error".</summary>
    public string Kind => Data.TryGetProperty("error", out _) ? "error" : Data.GetProperty("result").EnumerateObject().First().Name;

    public JsonElement Payload => Data.GetProperty("result").GetProperty(Kind);

    public string? State => Kind switch
    {
        "task" or "statusUpdate" => Payload.GetProperty("status").GetProperty("state").GetString(),
        _ => null,
    };
}

/// <summary>An open SSE response read with the BCL parser.</summary>
internal sealed class SseStream : IAsyncDisposable
{
    private readonly IAsyncEnumerator<SseItem<string>> _items;
    private readonly Stream _body;

    public SseStream(HttpResponseMessage response)
    {
        Response = response;
        _body = response.Content.ReadAsStream();
        _items = SseParser.Create(_body).EnumerateAsync().GetAsyncEnumerator();
    }

    public HttpResponseMessage Response { get; }

    /// <summary>The next event, or null when the server closed the stream.</summary>
    public async Task<SseEvent?> NextAsync(TimeSpan? timeout = null)
    {
        var advance = _items.MoveNextAsync().AsTask();
        if (!await advance.WaitAsync(timeout ?? TimeSpan.FromSeconds(15)))
        {
            return null;
        }

        var item = _items.Current;
        using var document = JsonDocument.Parse(item.Data);
        return new SseEvent(item.EventId, item.EventType, document.RootElement.Clone());
    }

    /// <summary>Reads until the server closes the stream.</summary>
    public async Task<List<SseEvent>> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var events = new List<SseEvent>();
        var deadline = timeout ?? TimeSpan.FromSeconds(20);
        using var limit = new CancellationTokenSource(deadline);
        while (await NextAsync(deadline) is { } e)
        {
            events.Add(e);
            limit.Token.ThrowIfCancellationRequested();
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        await _items.DisposeAsync();
        await _body.DisposeAsync();
        Response.Dispose();
    }
}
