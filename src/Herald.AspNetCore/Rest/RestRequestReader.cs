using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Herald.AspNetCore.Http;
using Herald.AspNetCore.JsonRpc;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Herald.AspNetCore.Rest;

/// <summary>
/// Reads an HTTP+JSON request into the typed v1.0 request: the protocol version, the body (content type,
/// size and depth limits, ProtoJSON fields), path parameters and query parameters (spec 11.5: camelCase names,
/// enums by name, booleans <c>true</c>/<c>false</c>, timestamps in ISO 8601).
/// </summary>
internal static class RestRequestReader
{
    private static readonly string[] SupportedVersions = ["1.0", "1.1"];

    /// <summary>Refuses any protocol version but 1.0 and 1.1 (the REST paths here are v1.0's; 1.1 adds fields).</summary>
    public static void CheckVersion(HttpRequest request)
    {
        var requested = ProtocolVersionHeader.Read(request);
        if (!ProtocolVersionHeader.IsV1(requested) && !ProtocolVersionHeader.IsV11(requested))
        {
            throw ProtocolVersionHeader.NotSupported(requested, SupportedVersions);
        }
    }

    /// <summary>
    /// Reads the body as <typeparamref name="T"/>, with the checks every HTTP binding makes (<see cref="JsonBodyReader"/>);
    /// no body reads as an empty object, so a missing field is named by the engine's validation like any other. The
    /// body is released before this returns.
    /// </summary>
    /// <exception cref="HttpRefusalException">415 for a body that is not JSON, 413 over the size limit, 408 too slow.</exception>
    /// <exception cref="A2AException">
    /// Not UTF-8 or invalid JSON, too deep, text that cannot be decoded or a field of the wrong type (-32602 naming it).
    /// </exception>
    public static async Task<T> ReadBodyAsync<T>(HttpContext context, HeraldOptions options)
        where T : class, new()
    {
        using var body = await JsonBodyReader.ReadAsync(context, options, bodyRequired: false).ConfigureAwait(false);
        if (body.IsEmpty)
        {
            return new T();
        }

        // The body is the request itself: the path of undecodable text is the field's name.
        if (body.InvalidText is { } invalid)
        {
            var field = invalid.Length > 0 ? invalid : "body";
            throw A2AException.InvalidParams(field, JsonBodyReader.InvalidTextMessage(field));
        }

        var root = body.Document!.RootElement;
        return root.ValueKind == JsonValueKind.Object
            ? ParamsReader.Read<T>(root)
            : throw A2AException.InvalidParams("body", "The request body must be a JSON object.");
    }

    /// <summary>
    /// A route value (path parameter), decoded. Kestrel decodes the path except <c>%2F</c>, so that an encoded slash
    /// cannot split a segment; inside one segment it is a slash (clients escape ids with encodeURIComponent).
    /// </summary>
    public static string? Route(HttpContext context, string name) =>
        context.Request.RouteValues[name] is string value ? value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : null;

    /// <summary>GetTask: the id from the path, <c>historyLength</c> from the query.</summary>
    public static GetTaskRequest ReadGetTask(HttpContext context) => new()
    {
        Tenant = Route(context, "tenant"),
        Id = Route(context, "id"),
        HistoryLength = Int(context.Request.Query, "historyLength"),
        CurrentGeneration = Long(context.Request.Query, "currentGeneration"),
    };

    /// <summary>ListTasks: every field from the query.</summary>
    public static ListTasksRequest ReadListTasks(HttpContext context)
    {
        var query = context.Request.Query;
        return new ListTasksRequest
        {
            Tenant = Route(context, "tenant") ?? Single(query, "tenant"),
            ContextId = Single(query, "contextId"),
            Status = State(query, "status"),
            PageSize = Int(query, "pageSize"),
            PageToken = Single(query, "pageToken"),
            HistoryLength = Int(query, "historyLength"),
            StatusTimestampAfter = Timestamp(query, "statusTimestampAfter"),
            IncludeArtifacts = Bool(query, "includeArtifacts"),
        };
    }

    /// <summary>
    /// The parameter's only value; null when absent. ProtoJSON: the parameter goes by its JSON name or its proto name
    /// (<c>pageSize</c>, <c>page_size</c>). Repeating a single-valued parameter, under either name, is an error.
    /// </summary>
    private static string? Single(IQueryCollection query, string name)
    {
        query.TryGetValue(name, out var values);
        if (ProtoName(name) is { } protoName && query.TryGetValue(protoName, out var protoValues) && !StringValues.IsNullOrEmpty(protoValues))
        {
            values = StringValues.Concat(values, protoValues);
        }

        if (StringValues.IsNullOrEmpty(values))
        {
            return null;
        }

        return values.Count == 1
            ? values[0]
            : throw A2AException.InvalidParams(name, $"{name} is given {values.Count} times; it takes one value.");
    }

    /// <summary>The proto field name (a2a-v1.0.proto) of a query parameter whose JSON name differs from it.</summary>
    private static string? ProtoName(string name) => name switch
    {
        "contextId" => "context_id",
        "pageSize" => "page_size",
        "pageToken" => "page_token",
        "historyLength" => "history_length",
        "statusTimestampAfter" => "status_timestamp_after",
        "includeArtifacts" => "include_artifacts",
        "currentGeneration" => "current_generation",
        _ => null,
    };

    private static int? Int(IQueryCollection query, string name) => Whole<int>(query, name);

    private static long? Long(IQueryCollection query, string name) => Whole<long>(query, name);

    private static T? Whole<T>(IQueryCollection query, string name)
        where T : struct, IBinaryInteger<T>
    {
        var text = Single(query, name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw A2AException.InvalidParams(name, $"{name} must be a whole number, not '{Quote(text)}'.");
    }

    private static bool? Bool(IQueryCollection query, string name) => Single(query, name) switch
    {
        null or "" => null,
        "true" => true,
        "false" => false,
        var text => throw A2AException.InvalidParams(name, $"{name} must be true or false, not '{Quote(text)}'."),
    };

    private static TaskState? State(IQueryCollection query, string name)
    {
        var text = Single(query, name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        foreach (var state in Enum.GetValues<TaskState>())
        {
            // ProtoJSON: an enum by its name or its number.
            if (text == state.ToWireName() || text == ((int)state).ToString(CultureInfo.InvariantCulture))
            {
                return state;
            }
        }

        throw A2AException.InvalidParams(name, $"{name} must be a task state name such as TASK_STATE_WORKING (or its number), not '{Quote(text)}'.");
    }

    private static DateTimeOffset? Timestamp(IQueryCollection query, string name)
    {
        var text = Single(query, name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : throw A2AException.InvalidParams(name, $"{name} must be an ISO 8601 timestamp such as 2025-11-09T10:30:00Z, not '{Quote(text)}'.");
    }

    private static string Quote(string text) => JsonRpcEndpoint.Truncate(text);
}
