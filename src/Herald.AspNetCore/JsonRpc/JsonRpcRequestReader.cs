using System.Text.Json;
using Herald.AspNetCore.Http;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>Reads a request body under the size limit and checks the JSON-RPC 2.0 envelope.</summary>
internal static class JsonRpcRequestReader
{
    /// <summary>The raw JSON of a null id, for answers to requests whose id could not be read.</summary>
    public static readonly byte[] NullId = "null"u8.ToArray();

    /// <summary>The body parsed as JSON, or null when it was too large (413 already answered).</summary>
    public static async Task<JsonDocument?> ReadAsync(HttpContext context, HeraldOptions options)
    {
        var body = await JsonBodyReader.ReadAsync(context, options).ConfigureAwait(false);
        switch (body.Status)
        {
            case JsonBodyStatus.TooLarge:
                await JsonRpcResponses.WriteTooLargeAsync(context, options.MaxRequestBodyBytes).ConfigureAwait(false);
                return null;
            case JsonBodyStatus.Empty:
                throw new A2AException(A2AErrorCodes.InvalidRequest, "The request body is empty; expected a JSON-RPC 2.0 request object.");
            default:
                return body.Document;
        }
    }

    /// <summary>
    /// Checks the envelope. <paramref name="idJson"/> is set as soon as the id has been read, so that even an
    /// invalid request is answered with its id when it had a usable one.
    /// </summary>
    public static JsonRpcRequest Validate(JsonElement root, int maxIdLength, out byte[] idJson)
    {
        idJson = NullId;
        if (root.ValueKind == JsonValueKind.Array)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "Batch requests are not supported; send one JSON-RPC request per HTTP request.");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "The request must be a JSON-RPC 2.0 request object.");
        }

        var hasId = root.TryGetProperty("id"u8, out var idElement);
        if (hasId)
        {
            if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, "id must be a string, a number or null.");
            }

            var raw = System.Text.Encoding.UTF8.GetBytes(idElement.GetRawText());
            if (raw.Length > maxIdLength)
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, $"id is longer than the limit of {maxIdLength} bytes.");
            }

            idJson = raw;
        }

        if (!root.TryGetProperty("jsonrpc"u8, out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "jsonrpc must be \"2.0\".");
        }

        if (!root.TryGetProperty("method"u8, out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "method is required and must be a string.");
        }

        if (!hasId)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "id is required: A2A methods always answer, so notifications are not accepted.");
        }

        // A params value that is not an object is checked when the method reads it: that is -32602,
        // answered with this request's id, not an invalid request.
        JsonElement? parameters = root.TryGetProperty("params"u8, out var paramsElement) && paramsElement.ValueKind != JsonValueKind.Null
            ? paramsElement
            : null;

        return new JsonRpcRequest(idJson, methodElement.GetString()!, parameters);
    }
}
