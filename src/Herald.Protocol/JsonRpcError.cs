using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>The <c>error</c> member of a JSON-RPC 2.0 response.</summary>
public sealed record JsonRpcError
{
    public int Code { get; init; }

    public required string Message { get; init; }

    /// <summary>Detail objects, each with an <c>@type</c> (e.g. <c>google.rpc.ErrorInfo</c>).</summary>
    public JsonElement? Data { get; init; }
}

/// <summary>A JSON-RPC 2.0 request as sent by a client.</summary>
public sealed record JsonRpcRequest
{
    public string Jsonrpc { get; init => field = value ?? "2.0"; } = "2.0";

    public JsonElement? Id { get; init; }

    public required string Method { get; init; }

    public JsonElement? Params { get; init; }
}

/// <summary>A JSON-RPC 2.0 response as read by a client: exactly one of result and error.</summary>
public sealed record JsonRpcResponse
{
    public string? Jsonrpc { get; init; }

    public JsonElement? Id { get; init; }

    public JsonElement? Result { get; init; }

    public JsonRpcError? Error { get; init; }
}
