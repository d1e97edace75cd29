using System.Text.Json;
using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// Reads the HTTP+JSON binding's errors (spec 11.6): <c>{"error":{"code","status","message","details"}}</c>, a
/// <c>google.rpc.Status</c>. The A2A error comes from the <c>google.rpc.ErrorInfo</c> reason, which every A2A error
/// carries (several share one HTTP status); without one, the status name says what kind of error it is.
/// </summary>
internal static class RestErrorBody
{
    /// <summary>The error in <paramref name="json"/>, or null when it is not a <c>google.rpc.Status</c> error body.</summary>
    public static A2AException? TryRead(ReadOnlySpan<byte> json, bool inStream)
    {
        RestErrorEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(json, ClientJsonContext.Default.RestErrorEnvelope);
        }
        catch (JsonException)
        {
            return null;
        }

        if (envelope?.Error is not { } error)
        {
            return null;
        }

        var code = CodeOf(error);
        var message = string.IsNullOrWhiteSpace(error.Message) ? $"The agent answered {error.Status ?? "an error"} ({error.Code})." : error.Message;
        return JsonRpcEnvelope.ToException(new JsonRpcError { Code = code, Message = message, Data = error.Details }, inStream);
    }

    private static int CodeOf(RestStatus error)
    {
        if (error.Details is { ValueKind: JsonValueKind.Array } details)
        {
            foreach (var detail in details.EnumerateArray())
            {
                if (detail.ValueKind == JsonValueKind.Object
                    && detail.TryGetProperty("@type"u8, out var type) && type.ValueKind == JsonValueKind.String
                    && type.GetString()!.EndsWith("google.rpc.ErrorInfo", StringComparison.Ordinal)
                    && detail.TryGetProperty("reason"u8, out var reason) && reason.ValueKind == JsonValueKind.String
                    && ErrorReasons.TryGetCode(reason.GetString()!, out var code))
                {
                    return code;
                }
            }
        }

        return error.Status switch
        {
            "INVALID_ARGUMENT" or "OUT_OF_RANGE" => A2AErrorCodes.InvalidParams,
            "NOT_FOUND" => A2AErrorCodes.TaskNotFound,
            "FAILED_PRECONDITION" => A2AErrorCodes.UnsupportedOperation,
            "UNIMPLEMENTED" => A2AErrorCodes.MethodNotFound,
            _ => A2AErrorCodes.InternalError,
        };
    }
}

/// <summary><c>google.rpc.ErrorInfo</c> reasons (spec 3.3.2: the error name in UPPER_SNAKE_CASE without "Error") back to codes.</summary>
internal static class ErrorReasons
{
    public static bool TryGetCode(string reason, out int code)
    {
        if (A2AErrorCodes.TryFromReason(reason, out code))
        {
            return true;
        }

        // Other SDKs' spellings: the JS SDK names some errors after its own classes.
        code = reason switch
        {
            "INTERNAL_ERROR" => A2AErrorCodes.InternalError,
            "EXTENDED_CARD_NOT_CONFIGURED" => A2AErrorCodes.ExtendedAgentCardNotConfigured,
            _ => 0,
        };
        return code != 0;
    }
}

/// <summary><c>{"error": google.rpc.Status}</c>.</summary>
internal sealed record RestErrorEnvelope
{
    public RestStatus? Error { get; init; }
}

/// <summary><c>google.rpc.Status</c> in its HTTP JSON form: <c>code</c> is the HTTP status, <c>status</c> the code's name.</summary>
internal sealed record RestStatus
{
    public int Code { get; init; }

    public string? Status { get; init; }

    public string? Message { get; init; }

    public JsonElement? Details { get; init; }
}
