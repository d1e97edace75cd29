using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Herald.AspNetCore.Requests;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>Reads a request body under the size limit and checks the JSON-RPC 2.0 envelope.</summary>
internal static class JsonRpcRequestReader
{
    /// <summary>The raw JSON of a null id, for answers to requests whose id could not be read.</summary>
    public static readonly byte[] NullId = "null"u8.ToArray();

    /// <summary>
    /// The body parsed as JSON, or null when the request was already answered (413, 415, 408, 400). The document
    /// is parsed from a copy of the body: JsonDocument reads the memory it was parsed from for its whole
    /// lifetime, and the pipe's buffers go back to other requests as soon as they are released.
    /// </summary>
    public static async Task<JsonRpcBody?> ReadAsync(HttpContext context, HeraldOptions options)
    {
        var limit = options.MaxRequestBodyBytes;
        if (!RequestContentType.IsJson(context.Request))
        {
            await JsonRpcResponses.WriteErrorAsync(context, NullId,
                new A2AException(A2AErrorCodes.InvalidRequest, $"Content-Type must be {RequestContentType.Accepted}."),
                StatusCodes.Status415UnsupportedMediaType).ConfigureAwait(false);
            return null;
        }

        if (context.Request.ContentLength > limit)
        {
            await JsonRpcResponses.WriteTooLargeAsync(context, limit).ConfigureAwait(false);
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Kestrel counts chunked framing against its limit, so a chunked body would get a smaller limit than the same
            // body with Content-Length. The limit is enforced below on the body's own bytes, whatever the encoding;
            // Kestrel's is only a backstop against a body made mostly of framing.
            sizeFeature.MaxRequestBodySize = context.Request.ContentLength is null ? (limit * 4) + (64 * 1024) : limit;
        }

        var reader = context.Request.BodyReader;
        ReadResult result;
        try
        {
            while (true)
            {
                result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                if (result.Buffer.Length > limit)
                {
                    reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    await JsonRpcResponses.WriteTooLargeAsync(context, limit).ConfigureAwait(false);
                    return null;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }

                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await JsonRpcResponses.WriteTooLargeAsync(context, limit).ConfigureAwait(false);
            return null;
        }
        catch (BadHttpRequestException ex)
        {
            // The client's own doing (a body that stalls or trickles below the minimum rate, broken chunked framing):
            // an answer with Kestrel's status, no error log, no stack trace.
            var message = ex.StatusCode == StatusCodes.Status408RequestTimeout
                ? "The request body arrived too slowly (below the server's minimum data rate)."
                : "The request body could not be read (malformed HTTP framing).";
            await JsonRpcResponses.WriteErrorAsync(context, NullId, new A2AException(A2AErrorCodes.InvalidRequest, message), ex.StatusCode).ConfigureAwait(false);
            return null;
        }

        byte[] body;
        try
        {
            if (result.Buffer.IsEmpty)
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, "The request body is empty; expected a JSON-RPC 2.0 request object.");
            }

            body = result.Buffer.ToArray();
        }
        finally
        {
            reader.AdvanceTo(result.Buffer.End);
        }

        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new A2AException(A2AErrorCodes.ParseError, "The request body is not valid UTF-8.");
        }

        try
        {
            return new JsonRpcBody(JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth }), body);
        }
        catch (JsonException ex) when (ex.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, $"The request nests JSON deeper than the limit of {options.MaxJsonDepth} levels.");
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, position {ex.BytePositionInLine + 1})" : "";
            throw new A2AException(A2AErrorCodes.ParseError, $"Invalid JSON payload{where}.");
        }
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
    public static JsonRpcRequest Validate(JsonRpcBody body, HeraldOptions options, out byte[] idJson)
    {
        idJson = NullId;
        var root = body.Document.RootElement;
        var maxIdLength = options.MaxRequestIdLength;

        // Text that cannot be decoded (a lone surrogate escape) is refused before anything reads it as a string.
        var invalid = Requests.JsonTextValidator.FindInvalidString(body.Bytes, options.MaxJsonDepth);
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

            if (invalid == "id")
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, "id is not valid text: it holds a lone UTF-16 surrogate escape.");
            }

            idJson = raw;
        }

        if (invalid is not null)
        {
            const string Reason = "is not valid text: it holds a lone UTF-16 surrogate escape (such as \\ud800 without its pair).";
            throw invalid.StartsWith("params", StringComparison.Ordinal)
                ? A2AException.InvalidParams(invalid.Length > 7 ? invalid[7..] : "params", $"{JsonRpcEndpoint.Truncate(invalid)} {Reason}")
                : new A2AException(A2AErrorCodes.InvalidRequest, $"{JsonRpcEndpoint.Truncate(invalid)} {Reason}");
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

/// <summary>A request body as received (valid UTF-8) and parsed.</summary>
internal sealed record JsonRpcBody(JsonDocument Document, byte[] Bytes) : IDisposable
{
    public void Dispose() => Document.Dispose();
}
