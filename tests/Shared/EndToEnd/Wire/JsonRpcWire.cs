using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// The v1.0 JSON-RPC binding (spec 9): one POST per call with a fresh id. Every answer is checked as JSON-RPC: the
/// envelope, the id echoed with its type (in every event of a stream too), errors with an <c>ErrorInfo</c>.
/// </summary>
public sealed class JsonRpcWire(HeraldTestServer server) : HttpWire(server)
{
    private static readonly HttpRequestOptionsKey<string> IdKey = new("jsonrpc-id");
    private static int _lastId;

    public override string Binding => "JSONRPC";

    public override A2AWire WithVersion(string? version) => new JsonRpcWire(Server) { Version = version };

    public override Task<JsonElement> SendMessageAsync(JsonObject request) => CallAsync("SendMessage", request);

    public override Task<WireStream> SendStreamingMessageAsync(JsonObject request) => StreamAsync("SendStreamingMessage", request, null, read: true);

    public override Task<JsonElement> GetTaskAsync(string id, int? historyLength = null, long? currentGeneration = null)
    {
        var parameters = new JsonObject { ["id"] = id };
        if (historyLength is { } n)
        {
            parameters["historyLength"] = n;
        }

        if (currentGeneration is { } g)
        {
            parameters["currentGeneration"] = g;
        }

        return CallAsync("GetTask", parameters);
    }

    public override Task<JsonElement> ListTasksAsync(JsonObject? request = null) => CallAsync("ListTasks", request ?? new JsonObject());

    public override Task<JsonElement> CancelTaskAsync(string id) => CallAsync("CancelTask", new JsonObject { ["id"] = id });

    public override Task<WireStream> SubscribeToTaskAsync(string id, string? lastEventId = null, bool read = true) =>
        StreamAsync("SubscribeToTask", new JsonObject { ["id"] = id }, lastEventId, read);

    public override Task<JsonElement> GetExtendedAgentCardAsync() => CallAsync("GetExtendedAgentCard", new JsonObject());

    public override Task<JsonElement> PushConfigAsync(PushConfigOperation operation, string taskId) => operation switch
    {
        PushConfigOperation.Create => CallAsync("CreateTaskPushNotificationConfig", new JsonObject { ["taskId"] = taskId, ["url"] = "https://example.com/hook" }),
        PushConfigOperation.Get => CallAsync("GetTaskPushNotificationConfig", new JsonObject { ["taskId"] = taskId, ["id"] = "config-1" }),
        PushConfigOperation.List => CallAsync("ListTaskPushNotificationConfigs", new JsonObject { ["taskId"] = taskId }),
        _ => CallAsync("DeleteTaskPushNotificationConfig", new JsonObject { ["taskId"] = taskId, ["id"] = "config-1" }),
    };

    public override string SendMessageBody(JsonObject request) => HeraldTestServer.Request("SendMessage", request, 1);

    public override HttpRequestMessage NewSendMessage(HttpContent content) => NewPost(content, "1");

    public override HttpRequestMessage NewGetTask(string id) =>
        NewPost(new StringContent(HeraldTestServer.Request("GetTask", new JsonObject { ["id"] = id }, 1), Encoding.UTF8, "application/json"), "1");

    public override async Task<JsonElement> SendRawAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request).Within();
        return await ReadResultAsync(response);
    }

    protected override WireEvent ToEvent(SseEvent e)
    {
        var json = e.Json;
        Assert.Equal("2.0", json.GetProperty("jsonrpc").GetString());
        if (json.TryGetProperty("error", out var error))
        {
            return new WireEvent(e.Id, e.Data, null, ToError(error, null));
        }

        return new WireEvent(e.Id, e.Data, json.GetProperty("result"), null);
    }

    protected override async Task<JsonElement> ReadResultAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.RequestEntityTooLarge, $"HTTP {status}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        AssertNoInternals(body);
        var root = Parse(body);
        Assert.Equal("2.0", root.GetProperty("jsonrpc").GetString());
        var id = root.GetProperty("id");
        if (response.RequestMessage?.Options.TryGetValue(IdKey, out var sent) == true)
        {
            // A request whose id could not be read (too large, not JSON) is answered with id null.
            Assert.True(id.GetRawText() == sent || id.ValueKind == JsonValueKind.Null, $"Sent id {sent}, answered {id.GetRawText()}");
        }

        if (root.TryGetProperty("error", out var error))
        {
            Assert.False(root.TryGetProperty("result", out _));
            throw new WireException(ToError(error, status));
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return root.GetProperty("result");
    }

    private static WireError ToError(JsonElement error, int? status)
    {
        var (reason, field, metadata) = WireError.ReadDetails(error.GetProperty("data"));
        return new WireError(error.GetProperty("code").GetInt32(), reason, error.GetProperty("message").GetString()!, field, metadata, error.GetRawText(), status);
    }

    private async Task<JsonElement> CallAsync(string method, JsonNode parameters)
    {
        var id = Interlocked.Increment(ref _lastId).ToString(CultureInfo.InvariantCulture);
        using var request = NewPost(new StringContent(HeraldTestServer.Request(method, parameters, JsonNode.Parse(id)), Encoding.UTF8, "application/json"), id);
        using var response = await Client.SendAsync(request).Within();
        return await ReadResultAsync(response);
    }

    private async Task<WireStream> StreamAsync(string method, JsonNode parameters, string? lastEventId, bool read)
    {
        // A string id, so that every event's envelope is checked to echo it with its type.
        var id = "s-" + Interlocked.Increment(ref _lastId).ToString(CultureInfo.InvariantCulture);
        var request = NewPost(new StringContent(HeraldTestServer.Request(method, parameters, id), Encoding.UTF8, "application/json"), $"\"{id}\"");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var stream = await OpenStreamAsync(request, read);
        return new SseWireStream(((SseWireStream)stream).Sse, e =>
        {
            Assert.Equal($"\"{id}\"", e.Json.GetProperty("id").GetRawText());
            return ToEvent(e);
        });
    }

    private HttpRequestMessage NewPost(HttpContent content, string idJson)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Server.RpcPath) { Content = content };
        request.Options.Set(IdKey, idJson);
        if (Version is not null)
        {
            request.Headers.TryAddWithoutValidation("A2A-Version", Version);
        }

        return request;
    }
}
