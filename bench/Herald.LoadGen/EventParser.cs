using System.Buffers.Text;
using System.Text.Json;

namespace Herald.LoadGen;

internal enum EventKind
{
    Unknown,
    Task,
    Message,
    Status,
    Artifact,
    Error,
}

/// <summary>What the load generator needs from one SSE event (or one JSON-RPC response).</summary>
internal struct EventInfo
{
    public EventKind Kind;

    /// <summary>The task state of a task or status event, normalised to the v0.3 spelling (<c>completed</c>, <c>input-required</c>).</summary>
    public string? State;

    /// <summary>The task id of a task event.</summary>
    public string? TaskId;

    /// <summary><c>artifact.metadata.benchTsUs</c> of an artifact event, or 0.</summary>
    public long TimestampUs;

    /// <summary>
    /// The bench agent's number of an artifact chunk (its text is <c>chunk 000042 </c>), or 0 when it has none: the
    /// load generator's order check (chunk i follows chunk i - 1, each once).
    /// </summary>
    public int ChunkNumber;

    /// <summary>A task event that already carries artifacts (a snapshot taken after chunks were appended).</summary>
    public bool HasArtifacts;

    public string? ErrorMessage;

    public readonly bool EndsStream => State is "completed" or "failed" or "canceled" or "rejected" or "input-required" or "auth-required";
}

/// <summary>
/// Reads an event in one forward pass, for both wire generations and both HTTP bindings: v1.0 JSON-RPC
/// (<c>result: {"artifactUpdate": {...}}</c>), v1.0 REST (the bare <c>{"artifactUpdate": {...}}</c>) and v0.3
/// (<c>result: {"kind": "artifact-update", ...}</c>).
/// </summary>
internal static class EventParser
{
    /// <summary>
    /// The per-event path: an artifact update of the v1.0 wire (JSON-RPC <c>{"jsonrpc", "id", "result":
    /// {"artifactUpdate": ...}}</c> or REST <c>{"artifactUpdate": ...}</c>) is recognised from its first few tokens, and
    /// its chunk number (and, with <paramref name="timestamp"/>, <c>benchTsUs</c>) found by a byte search (the compact
    /// envelope of Herald and the reference is matched as bytes, any other spelling through a few reader tokens): no pass over
    /// the rest of the event, nothing allocated. Anything else (task, status, message, error, v0.3) goes through
    /// <see cref="Parse"/>. Chunk events are not validated as JSON here: their bytes are hashed, and the fingerprints of
    /// every subscriber compared, instead.
    /// </summary>
    public static EventInfo ParseFast(ReadOnlySpan<byte> json, bool timestamp)
    {
        if (!IsArtifactUpdate(json, out var payloadStart))
        {
            var parsed = Parse(json);
            if (parsed.Kind == EventKind.Artifact)
            {
                parsed.ChunkNumber = FindChunkNumber(json);
            }

            return parsed;
        }

        var payload = json[payloadStart..];
        var info = new EventInfo { Kind = EventKind.Artifact, ChunkNumber = FindChunkNumber(payload) };
        if (timestamp)
        {
            info.TimestampUs = FindTimestamp(payload);
        }

        return info;
    }

    /// <summary>
    /// True when the event's <c>result</c> (JSON-RPC) or the event itself (REST) starts with an <c>artifactUpdate</c>
    /// member; <paramref name="payloadStart"/> is where that member's value begins.
    /// </summary>
    private static bool IsArtifactUpdate(ReadOnlySpan<byte> json, out int payloadStart)
    {
        // The compact envelopes Herald and the reference write, matched byte for byte; anything else through the reader.
        if (json.StartsWith(RestArtifact))
        {
            payloadStart = RestArtifact.Length;
            return true;
        }

        if (json.StartsWith(JsonRpcHead))
        {
            var rest = json[JsonRpcHead.Length..];
            var idLength = rest.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (idLength > 0 && rest[idLength..].StartsWith(JsonRpcArtifact))
            {
                payloadStart = JsonRpcHead.Length + idLength + JsonRpcArtifact.Length;
                return true;
            }
        }

        payloadStart = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("result"u8))
                {
                    // JSON-RPC: the StreamResponse's one member comes first in the result.
                    return reader.Read() && reader.TokenType == JsonTokenType.StartObject && reader.Read() && reader.TokenType == JsonTokenType.PropertyName
                        && reader.ValueTextEquals("artifactUpdate"u8) && Start(ref reader, out payloadStart);
                }

                if (reader.ValueTextEquals("artifactUpdate"u8))
                {
                    payloadStart = (int)reader.BytesConsumed;
                    return true;
                }

                if (!reader.ValueTextEquals("jsonrpc"u8) && !reader.ValueTextEquals("id"u8))
                {
                    return false;
                }

                // The envelope's jsonrpc and id: skipped.
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    private static ReadOnlySpan<byte> RestArtifact => "{\"artifactUpdate\":"u8;

    private static ReadOnlySpan<byte> JsonRpcHead => "{\"jsonrpc\":\"2.0\",\"id\":"u8;

    private static ReadOnlySpan<byte> JsonRpcArtifact => ",\"result\":{\"artifactUpdate\":"u8;

    private static bool Start(ref Utf8JsonReader reader, out int payloadStart)
    {
        payloadStart = (int)reader.BytesConsumed;
        return true;
    }

    /// <summary>The number in the first text part <c>"text":"chunk 000042 "</c> of a chunk, or 0.</summary>
    public static int FindChunkNumber(ReadOnlySpan<byte> json)
    {
        var at = json.IndexOf("\"text\":\"chunk "u8);
        if (at < 0)
        {
            return 0;
        }

        var digits = json[(at + "\"text\":\"chunk "u8.Length)..];
        return Utf8Parser.TryParse(digits, out int number, out _) && number > 0 ? number : 0;
    }

    /// <summary>The chunk number in a part's text (<c>chunk 000042 </c>), as the gRPC binding carries it, or 0.</summary>
    public static int ChunkNumberOfText(string? text) =>
        text is not null && text.StartsWith("chunk ", StringComparison.Ordinal)
        && int.TryParse(text.AsSpan(6).TrimEnd(' '), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : 0;

    /// <summary><c>"benchTsUs":</c> followed by a number (or a number in a string), or 0.</summary>
    private static long FindTimestamp(ReadOnlySpan<byte> json)
    {
        var at = json.IndexOf("\"benchTsUs\":"u8);
        if (at < 0)
        {
            return 0;
        }

        var value = json[(at + "\"benchTsUs\":"u8.Length)..].TrimStart(" \""u8);
        return Utf8Parser.TryParse(value, out double ts, out _) ? (long)ts : 0;
    }

    /// <summary>
    /// Reads everything the load generator needs from one event but the chunk number, validating it as JSON on the way
    /// (the load generator's per-event parse before issue 20, kept as the fallback of <see cref="ParseFast"/>).
    /// </summary>
    public static EventInfo Parse(ReadOnlySpan<byte> json)
    {
        var info = default(EventInfo);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return info;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ParseResult(ref reader, ref info);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    // JSON-RPC error member, or the REST binding's google.rpc.Status body ({"error": {"code", "message", ...}}).
                    info.Kind = EventKind.Error;
                    reader.Read();
                    info.ErrorMessage = reader.TokenType == JsonTokenType.StartObject ? ReadErrorMessage(ref reader) : "error";
                }
                else if (!TryWrapped(ref reader, ref info))
                {
                    // REST: the event is the bare StreamResponse, read by TryWrapped; anything else is skipped.
                    reader.Skip();
                }
            }
        }
        catch (JsonException ex)
        {
            info.Kind = EventKind.Error;
            info.ErrorMessage = "invalid JSON: " + ex.Message;
        }

        return info;
    }

    private static void ParseResult(ref Utf8JsonReader reader, ref EventInfo info)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryWrapped(ref reader, ref info))
            {
                // v0.3: the result is the payload itself.
                PayloadProperty(ref reader, ref info);
            }
        }
    }

    /// <summary>
    /// Consumes a v1.0 <c>StreamResponse</c> member (<c>task</c>, <c>statusUpdate</c>, <c>artifactUpdate</c>,
    /// <c>message</c>) and its payload; false (nothing consumed) for any other property.
    /// </summary>
    private static bool TryWrapped(ref Utf8JsonReader reader, ref EventInfo info)
    {
        var wrapped = reader.ValueTextEquals("task"u8) ? EventKind.Task
            : reader.ValueTextEquals("statusUpdate"u8) ? EventKind.Status
            : reader.ValueTextEquals("artifactUpdate"u8) ? EventKind.Artifact
            : reader.ValueTextEquals("message"u8) ? EventKind.Message
            : EventKind.Unknown;
        if (wrapped == EventKind.Unknown)
        {
            return false;
        }

        info.Kind = wrapped;
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return true;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            PayloadProperty(ref reader, ref info);
        }

        return true;
    }

    /// <summary>Consumes one property (name and value) of a task / status / artifact payload.</summary>
    private static void PayloadProperty(ref Utf8JsonReader reader, ref EventInfo info)
    {
        if (reader.ValueTextEquals("kind"u8))
        {
            reader.Read();
            info.Kind = reader.ValueTextEquals("task"u8) ? EventKind.Task
                : reader.ValueTextEquals("status-update"u8) ? EventKind.Status
                : reader.ValueTextEquals("artifact-update"u8) ? EventKind.Artifact
                : reader.ValueTextEquals("message"u8) ? EventKind.Message
                : info.Kind;
        }
        else if (reader.ValueTextEquals("id"u8))
        {
            reader.Read();
            info.TaskId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        }
        else if (reader.ValueTextEquals("status"u8))
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("state"u8))
                {
                    reader.Read();
                    info.State = reader.TokenType == JsonTokenType.String ? NormaliseState(reader.GetString()!) : null;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        else if (reader.ValueTextEquals("artifact"u8))
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("metadata"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("benchTsUs"u8))
                        {
                            reader.Read();
                            if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var ts))
                            {
                                info.TimestampUs = (long)ts;
                            }
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        else if (reader.ValueTextEquals("artifacts"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                reader.Read();
                info.HasArtifacts = reader.TokenType != JsonTokenType.EndArray;
                if (info.HasArtifacts)
                {
                    reader.Skip();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }
        else
        {
            reader.Skip();
        }
    }

    private static string ReadErrorMessage(ref Utf8JsonReader reader)
    {
        string code = "", message = "";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.Number ? reader.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.GetString() ?? "";
            }
            else
            {
                reader.Skip();
            }
        }

        return $"{code} {message}".Trim();
    }

    /// <summary><c>TASK_STATE_INPUT_REQUIRED</c> and <c>input-required</c> both become <c>input-required</c>.</summary>
    private static string NormaliseState(string state) =>
        state.StartsWith("TASK_STATE_", StringComparison.Ordinal)
            ? state["TASK_STATE_".Length..].ToLowerInvariant().Replace('_', '-')
            : state;
}
