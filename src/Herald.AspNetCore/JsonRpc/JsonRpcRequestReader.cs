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

    /// <summary>
    /// The body, read and checked by <see cref="JsonBodyReader"/> (media type, size, time, UTF-8, depth): a JSON-RPC
    /// request always has one.
    /// </summary>
    /// <exception cref="HttpRefusalException">413, 415, 408, 400: answered with that status and a null id.</exception>
    /// <exception cref="A2AException">An empty body (-32600), not UTF-8 or not JSON (-32700), too deep (-32600).</exception>
    public static async Task<JsonBody> ReadAsync(HttpContext context, HeraldOptions options)
    {
        var body = await JsonBodyReader.ReadAsync(context, options).ConfigureAwait(false);
        return body.IsEmpty
            ? throw new A2AException(A2AErrorCodes.InvalidRequest, "The request body is empty; expected a JSON-RPC 2.0 request object.")
            : body;
    }

    /// <summary>The request's method name when it has one, before and whatever the envelope's other checks say.</summary>
    public static string? PeekMethod(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("method"u8, out var method) || method.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return method.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // not decodable text: Validate says so, naming the field
        }
    }

    /// <summary>
    /// Checks the envelope. <paramref name="idJson"/> is set as soon as the id has been read, so that even an
    /// invalid request is answered with its id when it had a usable one.
    /// </summary>
    public static JsonRpcRequest Validate(JsonBody body, HeraldOptions options, out byte[] idJson)
    {
        idJson = NullId;
        var root = body.Document!.RootElement;
        var maxIdLength = options.MaxRequestIdLength;

        // Text that cannot be decoded (a lone surrogate escape) is refused before anything reads it as a string.
        var invalid = body.InvalidText;
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

            // Counted as sent: the bytes of the id's JSON text, escapes as written, without a string's two quotes.
            var raw = System.Text.Encoding.UTF8.GetBytes(idElement.GetRawText());
            var counted = idElement.ValueKind == JsonValueKind.String ? raw.Length - 2 : raw.Length;
            if (counted > maxIdLength)
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest,
                    $"id is {counted} bytes, longer than the limit of {maxIdLength} (the bytes of its JSON text as sent, without a string's quotes).");
            }

            if (invalid == "id")
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, "id is not valid text: it holds a lone UTF-16 surrogate escape.");
            }

            idJson = raw;
        }

        if (invalid is not null)
        {
            throw invalid.StartsWith("params", StringComparison.Ordinal)
                ? A2AException.InvalidParams(invalid.Length > 7 ? invalid[7..] : "params", JsonBodyReader.InvalidTextMessage(invalid))
                : new A2AException(A2AErrorCodes.InvalidRequest, JsonBodyReader.InvalidTextMessage(invalid));
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
