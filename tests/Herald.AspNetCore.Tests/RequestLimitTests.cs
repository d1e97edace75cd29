using System.Net;
using System.Text;
using Herald.AspNetCore.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests;

/// <summary>Request size and nesting limits answer with JSON-RPC errors, never a bare failure.</summary>
public sealed class RequestLimitTests : IAsyncLifetime
{
    private const int Limit = 2048;
    private HeraldTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(
            h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()),
            o => o.MaxRequestBodyBytes = Limit);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A GetTask request padded to exactly <paramref name="size"/> bytes (with a field GetTask ignores).</summary>
    private static string GetTaskOfSize(int size)
    {
        var head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"t-1\",\"padding\":\"";
        var tail = "\"}}";
        return head + new string('t', size - head.Length - tail.Length) + tail;
    }

    [Fact]
    public async Task Post_BodyOverLimitWithContentLength_Http413WithJsonRpcError()
    {
        var response = await _server.PostJsonAsync(GetTaskOfSize(Limit + 1), expectedStatus: HttpStatusCode.RequestEntityTooLarge);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidRequest);
        Assert.Contains(Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_BodyExactlyAtLimit_IsProcessed()
    {
        var response = await _server.PostJsonAsync(GetTaskOfSize(Limit));

        HeraldTestServer.AssertError(response, A2AErrorCodes.TaskNotFound);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_Http413WithJsonRpcError()
    {
        var bytes = Encoding.UTF8.GetBytes(GetTaskOfSize(Limit * 4));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ChunkedContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        using var response = await _server.Client.SendAsync(request).Within();

        Assert.Null(request.Content.Headers.ContentLength);
        var body = await HeraldTestServer.ReadJsonRpcAsync(response, HttpStatusCode.RequestEntityTooLarge);
        HeraldTestServer.AssertError(body, A2AErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task Post_ChunkedBodyUnderLimit_IsProcessed()
    {
        var bytes = Encoding.UTF8.GetBytes(GetTaskOfSize(Limit / 2));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ChunkedContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        using var response = await _server.Client.SendAsync(request).Within();

        HeraldTestServer.AssertError(await HeraldTestServer.ReadJsonRpcAsync(response), A2AErrorCodes.TaskNotFound);
    }

    [Fact]
    public async Task Post_JsonDeeperThanLimit_InvalidRequestNamingTheLimit()
    {
        var deep = new string('[', 100) + new string(']', 100);
        var response = await _server.PostJsonAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ListTasks\",\"params\":{\"metadata\":" + deep + "}}");

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidRequest);
        Assert.Contains("64", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_JsonWithinDepthLimit_IsProcessed()
    {
        var nested = new string('[', 50) + new string(']', 50);
        var response = await _server.PostJsonAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ListTasks\",\"params\":{\"unknownField\":" + nested + "}}");

        Assert.Equal(0, response.GetProperty("result").GetProperty("totalSize").GetInt32());
    }

    /// <summary>Content without a known length: HttpClient sends it with Transfer-Encoding: chunked.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // Several writes, so the body really arrives in pieces.
            for (var offset = 0; offset < bytes.Length; offset += 512)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(512, bytes.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
