using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// What the two HTTP bindings (JSON-RPC and REST) share: an <see cref="HttpClient"/> on the test server, SSE streams,
/// and raw requests for the suites that test HTTP itself (body limits, content types, stalled readers).
/// </summary>
public abstract class HttpWire(HeraldTestServer server) : A2AWire
{
    public HeraldTestServer Server { get; } = server;

    public HttpClient Client => Server.Client;

    /// <summary>The SendMessage request body for <paramref name="request"/>, as this binding sends it.</summary>
    public abstract string SendMessageBody(JsonObject request);

    /// <summary>A SendMessage request carrying <paramref name="content"/> as its body, with this binding's path and headers.</summary>
    public abstract HttpRequestMessage NewSendMessage(HttpContent content);

    /// <summary>A GetTask request, for clients that send it by hand (a raw socket that never reads).</summary>
    public abstract HttpRequestMessage NewGetTask(string id);

    /// <summary>Sends a SendMessage request built with <see cref="NewSendMessage"/> and reads its result or error.</summary>
    public abstract Task<JsonElement> SendRawAsync(HttpRequestMessage request);

    /// <summary>A SendMessage body of exactly <paramref name="bytes"/> bytes (the text part is padded).</summary>
    public string SendMessageBodyOfSize(int bytes)
    {
        var request = SendRequest("");
        var empty = Encoding.UTF8.GetByteCount(SendMessageBody(request));
        Assert.True(bytes >= empty, $"{bytes} bytes cannot hold a SendMessage request ({empty} at least)");
        request["message"]!["parts"]![0]!["text"] = new string('p', bytes - empty);
        var body = SendMessageBody(request);
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(body));
        return body;
    }

    /// <summary>Turns one SSE event of this binding into a stream item.</summary>
    protected abstract WireEvent ToEvent(SseEvent e);

    /// <summary>Reads an answer to a streaming call: a stream, or the error sent instead (thrown).</summary>
    protected async Task<WireStream> OpenStreamAsync(HttpRequestMessage request, bool read)
    {
        var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Within();
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new SseWireStream(await SseStream.FromResponseAsync(response, read), ToEvent);
        }

        using (response)
        {
            await ReadResultAsync(response); // an error body: throws
            Assert.Fail($"A streaming call was answered with a result instead of an event stream: HTTP {(int)response.StatusCode}");
            throw new InvalidOperationException();
        }
    }

    /// <summary>A JSON answer: the result, or a <see cref="WireException"/> after this binding's checks on errors.</summary>
    protected abstract Task<JsonElement> ReadResultAsync(HttpResponseMessage response);

    /// <summary>Nothing that looks like a .NET stack trace or exception type leaves the server.</summary>
    protected static void AssertNoInternals(string body) => HeraldTestServer.AssertNoInternals(body);

    protected static JsonElement Parse(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }
}

/// <summary>An SSE response read by <see cref="SseStream"/>, its events turned into stream items by the binding.</summary>
public sealed class SseWireStream(SseStream sse, Func<SseEvent, WireEvent> toEvent) : WireStream
{
    /// <summary>The SSE response underneath: headers and the exact bytes received.</summary>
    public SseStream Sse { get; } = sse;

    public override Task Ended => Sse.Ended;

    public override async Task<WireEvent> NextAsync() => toEvent(await Sse.NextAsync());

    public override async Task<List<WireEvent>> ReadToEndAsync(TimeSpan? timeout = null) =>
        [.. (await Sse.ReadToEndAsync(timeout)).Select(toEvent)];

    public override void StartReading() => Sse.StartReading();

    public override ValueTask DisposeAsync() => Sse.DisposeAsync();
}
