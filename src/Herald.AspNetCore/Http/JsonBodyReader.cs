using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Herald.AspNetCore.Http;

/// <summary>What <see cref="JsonBodyReader.ReadAsync"/> found.</summary>
internal enum JsonBodyStatus
{
    /// <summary>The body parsed as JSON; the document is set.</summary>
    Parsed = 0,

    /// <summary>The request has no body.</summary>
    Empty = 1,

    /// <summary>The body exceeds <see cref="HeraldOptions.MaxRequestBodyBytes"/>; nothing was answered yet.</summary>
    TooLarge = 2,
}

/// <summary>The outcome of reading a request body; dispose it to release the document.</summary>
internal readonly record struct JsonBody(JsonBodyStatus Status, JsonDocument? Document) : IDisposable
{
    public void Dispose() => Document?.Dispose();
}

/// <summary>
/// Reads a JSON request body under the size and nesting limits, for every HTTP binding (JSON-RPC, REST).
/// How a refusal is answered is the binding's: this only reports it.
/// </summary>
internal static class JsonBodyReader
{
    /// <summary>
    /// Reads and parses the whole body. The document is parsed from a copy of the body: JsonDocument reads the
    /// memory it was parsed from for its whole lifetime, and the pipe's buffers go back to other requests as
    /// soon as they are released.
    /// </summary>
    /// <exception cref="A2AException">Invalid JSON (-32700), or nesting deeper than the limit (-32600).</exception>
    public static async Task<JsonBody> ReadAsync(HttpContext context, HeraldOptions options)
    {
        var limit = options.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return new JsonBody(JsonBodyStatus.TooLarge, null);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
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
                    return new JsonBody(JsonBodyStatus.TooLarge, null);
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
            return new JsonBody(JsonBodyStatus.TooLarge, null);
        }

        byte[]? bytes = null;
        try
        {
            if (result.Buffer.IsEmpty)
            {
                return new JsonBody(JsonBodyStatus.Empty, null);
            }

            bytes = result.Buffer.ToArray();
            return new JsonBody(JsonBodyStatus.Parsed, JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth }));
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
        finally
        {
            reader.AdvanceTo(result.Buffer.End);
        }
    }

    /// <summary>
    /// Whether the JSON nests deeper than <paramref name="limit"/> before it ends or breaks: tells a depth refusal
    /// from a syntax error without reading the parser's message. The reader keeps depth in a bit stack, not on
    /// the call stack, so any depth is safe to scan.
    /// </summary>
    private static bool NestsDeeperThan(byte[]? json, int limit)
    {
        if (json is null)
        {
            return false;
        }

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
