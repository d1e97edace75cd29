using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// One A2A binding as the end-to-end suites drive it: every operation with its request in the v1.0 model (ProtoJSON
/// as <see cref="JsonObject"/>) and its result as ProtoJSON (<see cref="JsonElement"/>), whatever the wire. An A2A
/// error becomes a <see cref="WireException"/> carrying a <see cref="WireError"/>, after the driver has checked the
/// binding's own rules for errors (the JSON-RPC envelope, the REST status mapping, gRPC status codes...).
/// A binding (JSON-RPC, REST, gRPC) implements this once; every suite runs over it unchanged.
/// </summary>
public abstract class A2AWire
{
    /// <summary>The binding's name as the card lists it: <c>JSONRPC</c>, <c>HTTP+JSON</c>, <c>GRPC</c>.</summary>
    public abstract string Binding { get; }

    /// <summary>The <c>A2A-Version</c> sent with every call (null: none); see <see cref="WithVersion"/>.</summary>
    public string? Version { get; protected init; } = "1.0";

    /// <summary>The same wire sending another protocol version (null: none at all).</summary>
    public abstract A2AWire WithVersion(string? version);

    /// <summary>SendMessage: the <c>SendMessageResponse</c> (<c>{"task":..}</c> or <c>{"message":..}</c>).</summary>
    public abstract Task<JsonElement> SendMessageAsync(JsonObject request);

    /// <summary>SendStreamingMessage; an error before the stream started is thrown from here.</summary>
    public abstract Task<WireStream> SendStreamingMessageAsync(JsonObject request);

    public abstract Task<JsonElement> GetTaskAsync(string id, int? historyLength = null, long? currentGeneration = null);

    /// <summary>ListTasks with the request's fields (<c>contextId</c>, <c>status</c>, <c>pageSize</c>, ...).</summary>
    public abstract Task<JsonElement> ListTasksAsync(JsonObject? request = null);

    public abstract Task<JsonElement> CancelTaskAsync(string id);

    /// <summary>
    /// SubscribeToTask, resuming after <paramref name="lastEventId"/> when given. With <paramref name="read"/> false the
    /// stream is opened but not read until <see cref="WireStream.StartReading"/>: a client that stalls.
    /// </summary>
    public abstract Task<WireStream> SubscribeToTaskAsync(string id, string? lastEventId = null, bool read = true);

    public abstract Task<JsonElement> GetExtendedAgentCardAsync();

    /// <summary>One of the four push notification config operations on <paramref name="taskId"/>.</summary>
    public abstract Task<JsonElement> PushConfigAsync(PushConfigOperation operation, string taskId);

    /// <summary>SendMessageRequest with one user text part.</summary>
    public static JsonObject SendRequest(string text = "hello", string? taskId = null, string? contextId = null, JsonObject? configuration = null) =>
        HeraldTestServer.SendParams(text, taskId, contextId, configuration);

    /// <summary>SendMessage with returnImmediately: the task as soon as it exists (the agent keeps running).</summary>
    public async Task<JsonElement> SendImmediatelyAsync(string text = "hello", string? contextId = null, string? taskId = null) =>
        (await SendMessageAsync(SendRequest(text, taskId, contextId, new JsonObject { ["returnImmediately"] = true }))).GetProperty("task");

    /// <summary>Blocking SendMessage: the task once it is terminal or interrupted.</summary>
    public async Task<JsonElement> SendBlockingAsync(string text = "hello", string? contextId = null, string? taskId = null) =>
        (await SendMessageAsync(SendRequest(text, taskId, contextId))).GetProperty("task");

    public Task<WireStream> StreamAsync(string text = "hello", string? taskId = null, string? contextId = null) =>
        SendStreamingMessageAsync(SendRequest(text, taskId, contextId));

    /// <summary>Runs <paramref name="call"/>, which must fail with the A2A error <paramref name="code"/>; returns the error.</summary>
    public static async Task<WireError> ErrorAsync(Func<Task> call, int code)
    {
        var error = (await Assert.ThrowsAsync<WireException>(call).Within()).Error;
        Assert.True(code == error.Code, $"Expected A2A error {code}, got {error}");
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }
}

/// <summary>The push notification config operations (spec 3.1.7-3.1.10).</summary>
public enum PushConfigOperation
{
    Create,
    Get,
    List,
    Delete,
}

/// <summary>An A2A error as a binding delivered it, normalized.</summary>
/// <param name="Code">The A2A error as its JSON-RPC code (from the binding's code, status or <c>ErrorInfo</c> reason).</param>
/// <param name="Reason">The <c>google.rpc.ErrorInfo</c> reason.</param>
/// <param name="Message">The human-readable message.</param>
/// <param name="Field">The field a <c>google.rpc.BadRequest</c> names, if any.</param>
/// <param name="Metadata">The <c>ErrorInfo</c> metadata.</param>
/// <param name="Raw">The error as sent, for binding-specific checks.</param>
/// <param name="HttpStatus">The HTTP status, on HTTP bindings.</param>
public sealed record WireError(int Code, string Reason, string Message, string? Field, IReadOnlyDictionary<string, string> Metadata, string Raw, int? HttpStatus = null)
{
    /// <summary>Reads <c>google.rpc</c> detail objects (JSON-RPC <c>error.data</c>, REST <c>error.details</c>).</summary>
    public static (string Reason, string? Field, Dictionary<string, string> Metadata) ReadDetails(JsonElement details)
    {
        Assert.Equal(JsonValueKind.Array, details.ValueKind);
        var info = details.EnumerateArray().First(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.ErrorInfo");
        Assert.Equal("a2a-protocol.org", info.GetProperty("domain").GetString());
        var metadata = new Dictionary<string, string>();
        if (info.TryGetProperty("metadata", out var meta))
        {
            foreach (var property in meta.EnumerateObject())
            {
                metadata[property.Name] = property.Value.GetString()!;
            }
        }

        var field = details.EnumerateArray()
            .Where(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest")
            .Select(d => d.GetProperty("fieldViolations")[0].GetProperty("field").GetString())
            .FirstOrDefault();
        return (info.GetProperty("reason").GetString()!, field, metadata);
    }
}

/// <summary>A call answered with an A2A error.</summary>
public sealed class WireException(WireError error) : Exception($"A2A error {error.Code} {error.Reason}: {error.Message}")
{
    public WireError Error { get; } = error;
}

/// <summary>One stream item: a <c>StreamResponse</c>, or the error that ended the stream.</summary>
/// <param name="Id">The event id (SSE <c>id:</c>): the task event's sequence; null for a direct reply or an error.</param>
/// <param name="Data">The item exactly as sent (the SSE data line), for comparing bytes across subscribers.</param>
/// <param name="Response">The <c>StreamResponse</c>, unless this is an error.</param>
/// <param name="Error">The error that ended the stream.</param>
public sealed record WireEvent(string? Id, string Data, JsonElement? Response, WireError? Error)
{
    /// <summary>The StreamResponse (fails for an error event).</summary>
    public JsonElement Result => Response ?? throw new InvalidOperationException($"The stream ended with an error: {Error}");

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

    /// <summary>The text of an artifactUpdate's first part.</summary>
    public string? Text => Result.GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString();
}

/// <summary>An open stream, read in the background; bounded waits throughout.</summary>
public abstract class WireStream : IAsyncDisposable
{
    /// <summary>Completes when the server has closed the stream.</summary>
    public abstract Task Ended { get; }

    /// <summary>The next item; fails if the stream ends or nothing arrives within the bound.</summary>
    public abstract Task<WireEvent> NextAsync();

    /// <summary>All remaining items; fails unless the server closes the stream within the bound.</summary>
    public abstract Task<List<WireEvent>> ReadToEndAsync(TimeSpan? timeout = null);

    /// <summary>Starts reading a stream opened with <c>read: false</c>.</summary>
    public abstract void StartReading();

    public abstract ValueTask DisposeAsync();

    public async Task<List<WireEvent>> NextAsync(int count)
    {
        var list = new List<WireEvent>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(await NextAsync());
        }

        return list;
    }
}
