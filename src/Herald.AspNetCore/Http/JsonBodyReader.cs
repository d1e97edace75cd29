using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Herald.AspNetCore.Http;

/// <summary>
/// A request body as received (valid UTF-8) and parsed; empty when the request had none. Dispose it to release the document.
/// </summary>
/// <param name="Document">The parsed body; null when the request had no body.</param>
/// <param name="Bytes">The body's bytes.</param>
/// <param name="InvalidText">
/// The path of the first string that is not valid text (a lone UTF-16 surrogate escape), such as
/// <c>params.message.parts[0].text</c>; null when all text is valid. Each binding refuses it in its own terms.
/// </param>
internal readonly record struct JsonBody(JsonDocument? Document, byte[] Bytes, string? InvalidText) : IDisposable
{
    public bool IsEmpty => Document is null;

    public void Dispose() => Document?.Dispose();
}

/// <summary>
/// Reads a JSON request body for every HTTP binding (JSON-RPC, REST), with the checks every A2A request gets at the
/// door: a JSON media type (415), the size limit whatever the transfer encoding (413), a body that arrives in time
/// (408), valid UTF-8, the nesting limit, and text that can be decoded. HTTP-level refusals are thrown as
/// <see cref="HttpRefusalException"/>, the rest as <see cref="A2AException"/>; how they are answered is the binding's.
/// </summary>
internal static class JsonBodyReader
{
    /// <summary>
    /// Reads and parses the whole body. The document is parsed from a copy of the body: JsonDocument reads the
    /// memory it was parsed from for its whole lifetime, and the pipe's buffers go back to other requests as
    /// soon as they are released.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="options">The limits.</param>
    /// <param name="bodyRequired">False when the operation's body is optional: then a request without one needs no content type.</param>
    /// <exception cref="HttpRefusalException">415, 413, 408, or 400 for broken HTTP framing.</exception>
    /// <exception cref="A2AException">Not UTF-8 or invalid JSON (-32700), or nesting deeper than the limit (-32600).</exception>
    public static async Task<JsonBody> ReadAsync(HttpContext context, HeraldOptions options, bool bodyRequired = true)
    {
        RequestContentType.Check(context.Request, bodyRequired);
        var limit = options.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            throw HttpRefusalException.TooLarge(limit);
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
                    throw HttpRefusalException.TooLarge(limit);
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
            throw HttpRefusalException.TooLarge(limit);
        }
        catch (BadHttpRequestException ex)
        {
            // The client's own doing (a body that stalls or trickles below the minimum rate, broken chunked framing):
            // an answer with Kestrel's status, no error log, no stack trace.
            var message = ex.StatusCode == StatusCodes.Status408RequestTimeout
                ? "The request body arrived too slowly (below the server's minimum data rate)."
                : "The request body could not be read (malformed HTTP framing).";
            throw new HttpRefusalException(ex.StatusCode, A2AErrorCodes.InvalidRequest, message);
        }

        byte[] bytes;
        try
        {
            if (result.Buffer.IsEmpty)
            {
                return new JsonBody(null, [], null);
            }

            bytes = result.Buffer.ToArray();
        }
        finally
        {
            reader.AdvanceTo(result.Buffer.End);
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new A2AException(A2AErrorCodes.ParseError, "The request body is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth });
        }
        catch (JsonException ex)
        {
            if (NestsDeeperThan(bytes, options.MaxJsonDepth))
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, $"The request nests JSON deeper than the limit of {options.MaxJsonDepth} levels.");
            }

            var where = ex.LineNumber is { } line ? $" (line {line + 1}, position {ex.BytePositionInLine + 1})" : "";
            throw new A2AException(A2AErrorCodes.ParseError, $"Invalid JSON payload{where}.");
        }

        // Text that cannot be decoded (a lone surrogate escape) is found before anything reads it as a string.
        return new JsonBody(document, bytes, JsonTextValidator.FindInvalidString(bytes, options.MaxJsonDepth));
    }

    /// <summary>The message for a string that is not valid text, naming where it is.</summary>
    public static string InvalidTextMessage(string path) =>
        $"{(path.Length <= 40 ? path : path[..40] + "...")} is not valid text: it holds a lone UTF-16 surrogate escape (such as \\ud800 without its pair).";

    /// <summary>
    /// Whether the JSON nests deeper than <paramref name="limit"/> before it ends or breaks: tells a depth refusal
    /// from a syntax error without reading the parser's message. The reader keeps depth in a bit stack, not on
    /// the call stack, so any depth is safe to scan.
    /// </summary>
    private static bool NestsDeeperThan(byte[] json, int limit)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= limit)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Broken before it got that deep: a syntax error.
        }

        return false;
    }
}
