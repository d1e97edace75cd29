using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// The HTTP+JSON/REST binding (spec 11): a route per operation, bare ProtoJSON bodies as <c>application/a2a+json</c>,
/// query parameters for GET, SSE whose data is the bare <c>StreamResponse</c>. Every error is checked against the
/// spec: a <c>google.rpc.Status</c> body whose <c>code</c> is the HTTP status, and the status and <c>status</c> name
/// of the spec's table (5.4) for its A2A error, named by the <c>ErrorInfo</c> reason.
/// </summary>
public sealed class RestWire(HeraldTestServer server) : HttpWire(server)
{
    public const string A2AJson = "application/a2a+json";

    /// <summary>Spec 5.4 (A2A errors) and 3.3.2 (validation: 400, system: 500): the HTTP status and google.rpc.Code name of each error.</summary>
    public static readonly IReadOnlyDictionary<int, (int Status, string Name)> SpecTable = new Dictionary<int, (int, string)>
    {
        [A2AErrorCodes.TaskNotFound] = (404, "NOT_FOUND"),
        [A2AErrorCodes.TaskNotCancelable] = (400, "FAILED_PRECONDITION"),
        [A2AErrorCodes.PushNotificationNotSupported] = (400, "FAILED_PRECONDITION"),
        [A2AErrorCodes.UnsupportedOperation] = (400, "FAILED_PRECONDITION"),
        [A2AErrorCodes.ContentTypeNotSupported] = (400, "INVALID_ARGUMENT"),
        [A2AErrorCodes.InvalidAgentResponse] = (500, "INTERNAL"),
        [A2AErrorCodes.ExtendedAgentCardNotConfigured] = (400, "FAILED_PRECONDITION"),
        [A2AErrorCodes.ExtensionSupportRequired] = (400, "FAILED_PRECONDITION"),
        [A2AErrorCodes.VersionNotSupported] = (400, "FAILED_PRECONDITION"),
        [A2AErrorCodes.TaskGenerationMismatch] = (409, "ABORTED"),
        [A2AErrorCodes.InvalidParams] = (400, "INVALID_ARGUMENT"),
        [A2AErrorCodes.InvalidRequest] = (400, "INVALID_ARGUMENT"),
        [A2AErrorCodes.ParseError] = (400, "INVALID_ARGUMENT"),
        [A2AErrorCodes.InternalError] = (500, "INTERNAL"),
    };

    /// <summary>Sent as the first path segment when set (the tenant-prefixed routes).</summary>
    public string? Tenant { get; init; }

    public override string Binding => "HTTP+JSON";

    public override A2AWire WithVersion(string? version) => new RestWire(Server) { Version = version, Tenant = Tenant };

    /// <summary>The same wire addressing the tenant-prefixed routes.</summary>
    public RestWire WithTenant(string tenant) => new(Server) { Version = Version, Tenant = tenant };

    /// <summary>The URL path of a route, e.g. <c>/a2a/t1/tasks/abc:cancel</c>.</summary>
    public string PathOf(string route) =>
        Server.RpcPath.TrimEnd('/') + (Tenant is null ? "" : "/" + Uri.EscapeDataString(Tenant)) + route;

    public override Task<JsonElement> SendMessageAsync(JsonObject request) => SendAsync(NewSendMessage(Body(request)));

    public override Task<WireStream> SendStreamingMessageAsync(JsonObject request) =>
        OpenStreamAsync(New(HttpMethod.Post, "/message:stream", Body(request)), read: true);

    public override Task<JsonElement> GetTaskAsync(string id, int? historyLength = null, long? currentGeneration = null)
    {
        var query = new List<string>();
        if (historyLength is { } n)
        {
            query.Add($"historyLength={n.ToString(CultureInfo.InvariantCulture)}");
        }

        if (currentGeneration is { } g)
        {
            query.Add($"currentGeneration={g.ToString(CultureInfo.InvariantCulture)}");
        }

        return SendAsync(New(HttpMethod.Get, $"/tasks/{Uri.EscapeDataString(id)}" + (query.Count == 0 ? "" : "?" + string.Join('&', query))));
    }

    public override Task<JsonElement> ListTasksAsync(JsonObject? request = null) => SendAsync(New(HttpMethod.Get, "/tasks" + Query(request)));

    public override Task<JsonElement> CancelTaskAsync(string id) => SendAsync(New(HttpMethod.Post, $"/tasks/{Uri.EscapeDataString(id)}:cancel"));

    public override Task<WireStream> SubscribeToTaskAsync(string id, string? lastEventId = null, bool read = true)
    {
        var request = New(HttpMethod.Post, $"/tasks/{Uri.EscapeDataString(id)}:subscribe");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return OpenStreamAsync(request, read);
    }

    public override Task<JsonElement> GetExtendedAgentCardAsync() => SendAsync(New(HttpMethod.Get, "/extendedAgentCard"));

    public override Task<JsonElement> PushConfigAsync(PushConfigOperation operation, string taskId)
    {
        var configs = $"/tasks/{Uri.EscapeDataString(taskId)}/pushNotificationConfigs";
        return SendAsync(operation switch
        {
            PushConfigOperation.Create => New(HttpMethod.Post, configs, Body(new JsonObject { ["url"] = "https://example.com/hook" })),
            PushConfigOperation.Get => New(HttpMethod.Get, configs + "/config-1"),
            PushConfigOperation.List => New(HttpMethod.Get, configs),
            _ => New(HttpMethod.Delete, configs + "/config-1"),
        });
    }

    public override string SendMessageBody(JsonObject request) => request.ToJsonString();

    public override HttpRequestMessage NewSendMessage(HttpContent content) => New(HttpMethod.Post, "/message:send", content);

    public override HttpRequestMessage NewGetTask(string id) => New(HttpMethod.Get, $"/tasks/{Uri.EscapeDataString(id)}");

    public override async Task<JsonElement> SendRawAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request).Within();
        return await ReadResultAsync(response);
    }

    /// <summary>Sends <paramref name="request"/> (disposed) and reads its result or error.</summary>
    public async Task<JsonElement> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await Client.SendAsync(request).Within();
            return await ReadResultAsync(response);
        }
    }

    /// <summary>A request on <paramref name="route"/> with the version header and, when given, a body.</summary>
    public HttpRequestMessage New(HttpMethod method, string route, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, PathOf(route)) { Content = content };
        if (Version is not null)
        {
            request.Headers.TryAddWithoutValidation("A2A-Version", Version);
        }

        return request;
    }

    /// <summary>A JSON body as this binding sends it.</summary>
    public static StringContent Body(JsonNode json)
    {
        var content = new StringContent(json.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(A2AJson);
        return content;
    }

    /// <summary>Spec 11.5: each field a camelCase query parameter; strings as is, numbers in decimal, booleans lowercase.</summary>
    public static string Query(JsonObject? request)
    {
        if (request is null || request.Count == 0)
        {
            return "";
        }

        return "?" + string.Join("&", request.Select(p =>
        {
            var value = p.Value switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v => v.ToJsonString(),
                _ => throw new ArgumentException($"{p.Key}: nested objects have no query parameter form (spec 11.5)."),
            };
            return $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(value)}";
        }));
    }

    /// <summary>Reads the error of a non-2xx answer, with the spec's checks; the HTTP-level refusals (408, 413, 415) keep their status.</summary>
    public static async Task<WireError> ReadErrorAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status >= 400, $"Expected an error, got HTTP {status}: {body}");
        Assert.Equal(A2AJson, response.Content.Headers.ContentType?.MediaType);
        AssertNoInternals(body);
        var error = Parse(body).GetProperty("error");
        Assert.Equal(status, error.GetProperty("code").GetInt32());
        var (reason, field, metadata) = WireError.ReadDetails(error.GetProperty("details"));
        var code = CodeOf(reason);
        var name = error.GetProperty("status").GetString();
        if (status is not (408 or 413 or 415))
        {
            var expected = SpecTable[code];
            Assert.True(expected == (status, name!), $"{reason} ({code}) must be HTTP {expected.Status} {expected.Name} (spec 5.4), was {status} {name}: {body}");
        }

        return new WireError(code, reason, error.GetProperty("message").GetString()!, field, metadata, error.GetRawText(), status);
    }

    /// <summary>The A2A error an <c>ErrorInfo</c> reason names.</summary>
    public static int CodeOf(string reason)
    {
        var match = SpecTable.Keys.Where(code => A2AErrorCodes.Reason(code) == reason).ToList();
        Assert.True(match.Count == 1, $"Unknown ErrorInfo reason {reason}");
        return match[0];
    }

    protected override WireEvent ToEvent(SseEvent e)
    {
        if (e.EventType == "error")
        {
            var error = e.Json.GetProperty("error");
            var (reason, field, metadata) = WireError.ReadDetails(error.GetProperty("details"));
            var code = CodeOf(reason);
            Assert.Equal(SpecTable[code].Status, error.GetProperty("code").GetInt32());
            Assert.Equal(SpecTable[code].Name, error.GetProperty("status").GetString());
            return new WireEvent(e.Id, e.Data, null, new WireError(code, reason, error.GetProperty("message").GetString()!, field, metadata, error.GetRawText()));
        }

        Assert.False(e.Json.TryGetProperty("jsonrpc", out _)); // the bare StreamResponse, no envelope
        return new WireEvent(e.Id, e.Data, e.Json, null);
    }

    protected override async Task<JsonElement> ReadResultAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new WireException(await ReadErrorAsync(response));
        }

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(A2AJson, response.Content.Headers.ContentType?.MediaType);
        AssertNoInternals(body);
        return Parse(body);
    }
}
