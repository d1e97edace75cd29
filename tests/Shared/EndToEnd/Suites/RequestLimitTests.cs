using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// HTTP bindings (JSON-RPC and REST): request size and nesting limits answer with the binding's error, never a bare
/// failure; a client that never reads a large response is cut off instead of holding it in memory.
/// </summary>
public abstract class RequestLimitTests : BindingTests, IAsyncLifetime
{
    private const int Limit = 2048;
    private HeraldTestServer _server = null!;

    private HttpWire Wire => Assert.IsAssignableFrom<HttpWire>(_server.Wire);

    public async Task InitializeAsync() =>
        _server = await StartAsync(
            h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()),
            o => o.MaxRequestBodyBytes = Limit);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<JsonElementResult> SendAsync(HttpContent content) => JsonElementResult.OfAsync(() => Wire.SendRawAsync(Wire.NewSendMessage(content)));

    [Fact]
    public async Task Post_BodyOverLimitWithContentLength_Http413WithTheBindingsError()
    {
        var result = await SendAsync(new StringContent(Wire.SendMessageBodyOfSize(Limit + 1), Encoding.UTF8, RestWire.A2AJson));

        var error = result.Error(A2AErrorCodes.InvalidRequest);
        Assert.Equal(413, error.HttpStatus);
        Assert.Contains(Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_BodyExactlyAtLimit_IsProcessed()
    {
        var result = await SendAsync(new StringContent(Wire.SendMessageBodyOfSize(Limit), Encoding.UTF8, RestWire.A2AJson));

        Assert.Equal("TASK_STATE_COMPLETED", result.Value.GetProperty("task").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_Http413WithTheBindingsError()
    {
        var content = new ChunkedContent(Encoding.UTF8.GetBytes(Wire.SendMessageBodyOfSize(Limit * 4)));

        var result = await SendAsync(content);

        Assert.Null(content.Headers.ContentLength);
        Assert.Equal(413, result.Error(A2AErrorCodes.InvalidRequest).HttpStatus);
    }

    [Fact]
    public async Task Post_ChunkedBodyUnderLimit_IsProcessed()
    {
        var result = await SendAsync(new ChunkedContent(Encoding.UTF8.GetBytes(Wire.SendMessageBodyOfSize(Limit / 2))));

        Assert.Equal("TASK_STATE_COMPLETED", result.Value.GetProperty("task").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Post_JsonDeeperThanLimit_InvalidRequestNamingTheLimit()
    {
        var request = A2AWire.SendRequest();
        request["metadata"] = new JsonObject { ["deep"] = "DEEP" };
        var body = Wire.SendMessageBody(request).Replace("\"DEEP\"", new string('[', 100) + new string(']', 100), StringComparison.Ordinal);

        var result = await SendAsync(new StringContent(body, Encoding.UTF8, RestWire.A2AJson));

        Assert.Contains("64", result.Error(A2AErrorCodes.InvalidRequest).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_JsonWithinDepthLimit_IsProcessed()
    {
        var request = A2AWire.SendRequest();
        request["unknownField"] = JsonNode.Parse(new string('[', 50) + new string(']', 50));

        var result = await SendAsync(new StringContent(Wire.SendMessageBody(request), Encoding.UTF8, RestWire.A2AJson));

        Assert.Equal("TASK_STATE_COMPLETED", result.Value.GetProperty("task").GetProperty("status").GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("{\"message\":", "PARSE_ERROR")]
    [InlineData("not json", "PARSE_ERROR")]
    public async Task Post_BrokenJson_ParseError(string body, string reason)
    {
        var result = await SendAsync(new StringContent(body, Encoding.UTF8, RestWire.A2AJson));

        Assert.Equal(reason, result.Error(A2AErrorCodes.ParseError).Reason);
    }

    /// <summary>Content without a known length: HttpClient sends it with Transfer-Encoding: chunked.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public ChunkedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(RestWire.A2AJson);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // Several writes, so the body really arrives in pieces.
            for (var offset = 0; offset < _bytes.Length; offset += 512)
            {
                await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(512, _bytes.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>HTTP bindings: a client that never reads a large response is cut off by the minimum data rate.</summary>
public abstract class SlowResponseTests : BindingTests
{
    [Fact]
    public async Task GetTask_ClientNeverReadsALargeResponse_IsCutOffByTheMinimumDataRate()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, configureServices: s =>
        {
            s.Configure<KestrelServerOptions>(o => o.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024 * 1024, gracePeriod: TimeSpan.FromSeconds(2)));
            s.AddLogging(b => b.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Debug));
        });
        var wire = Assert.IsAssignableFrom<HttpWire>(server.Wire);
        var taskId = (await wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        var payload = new string('z', 64 * 1024);
        await run.Do(async (c, ct) =>
        {
            var batch = c.CreateBatch();
            for (var i = 0; i < 512; i++)
            {
                batch.AppendText("big", payload); // a 32 MiB task
            }

            await batch.SendAsync(ct);
            await c.FlushAsync(ct);
        }).WaitAsync(TimeSpan.FromSeconds(30));

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync("127.0.0.1", server.BaseAddress.Port);
        using var request = wire.NewGetTask(taskId);
        await socket.SendAsync(await Http11Async(request));

        // Not reading: the server's writes stall, and within a few seconds Kestrel drops the connection for
        // writing too slowly. Then whatever is buffered is read, and the connection turns out closed early.
        var closed = await server.Logs.WaitForAsync(e => e.EventId.Name == "ResponseMinimumDataRateNotSatisfied", TimeSpan.FromSeconds(20));
        Assert.True(closed, "Kestrel did not report the slow client: " + string.Join("\n", server.Logs.Entries.Select(e => $"{e.Category} {e.EventId} {e.Message}")));
        long received = 0;
        var buffer = new byte[1 << 20];
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
            {
                received += n;
            }
        }
        catch (SocketException)
        {
        }

        Assert.InRange(received, 1, 32L * 1024 * 1024 - 1);
    }

    /// <summary>The request as HTTP/1.1 bytes, for a socket that sends it by hand.</summary>
    private static async Task<byte[]> Http11Async(HttpRequestMessage request)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync();
        var head = new StringBuilder($"{request.Method} {request.RequestUri} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        foreach (var (name, values) in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            head.Append(name).Append(": ").Append(string.Join(", ", values)).Append("\r\n");
        }

        head.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.UTF8.GetBytes(head.ToString()), .. body];
    }
}

/// <summary>A call's result or the error it was answered with.</summary>
internal sealed class JsonElementResult
{
    private System.Text.Json.JsonElement? _value;
    private WireError? _error;

    public System.Text.Json.JsonElement Value => _value ?? throw new Xunit.Sdk.XunitException($"Expected a result, got {_error}");

    public static async Task<JsonElementResult> OfAsync(Func<Task<System.Text.Json.JsonElement>> call)
    {
        try
        {
            return new JsonElementResult { _value = await call() };
        }
        catch (WireException ex)
        {
            return new JsonElementResult { _error = ex.Error };
        }
    }

    public WireError Error(int code)
    {
        var error = _error ?? throw new Xunit.Sdk.XunitException($"Expected A2A error {code}, got a result: {_value}");
        Assert.True(error.Code == code, $"Expected A2A error {code}, got {error}");
        return error;
    }
}
