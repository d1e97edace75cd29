using System.Buffers;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Client.Sse;
using Herald.Client.Internal;
using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// JSON-RPC 2.0 over HTTP POST, shared by the v1.0 and v0.3 bindings: request envelopes with numeric
/// ids, the <c>A2A-Version</c> header, response and error reading, and opening SSE streams whose data
/// lines are JSON-RPC responses carrying the request's id. What differs per version (method names,
/// parameter and result shapes) stays in the bindings.
/// </summary>
internal sealed class JsonRpcTransport(HttpClient httpClient, Uri endpoint, string protocolVersion, A2AClientOptions options)
{
    private const int ErrorBodyLimit = 64 * 1024;
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue AcceptEventStream = new("text/event-stream");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    // The resumable-streams extension is always activated, as over gRPC: Herald servers then add A2A 1.1 generations (gap
    // detection, long-polls); servers that do not know it ignore it (spec 3.2.6).
    private readonly string _extensions = string.Join(",", options.Extensions.Append(HeraldExtensionUris.ResumableStreams).Distinct(StringComparer.Ordinal));
    private long _lastId;

    public async Task<TResult> CallAsync<TParams, TResult>(string method, TParams parameters, JsonTypeInfo<TParams> paramsInfo, JsonTypeInfo<TResult> resultInfo, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _lastId);
        using var response = await AccessTokens.SendAsync(httpClient, () => CreateRequest(method, id, parameters, paramsInfo, streaming: false, lastEventId: null), options, cancellationToken)
            .ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadHttpErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }

        var body = await ReadBodyAsync(response, options.MaxResponseSize, cancellationToken).ConfigureAwait(false);
        return JsonRpcEnvelope.ReadResult(body.Span, id, resultInfo, inStream: false);
    }

    /// <summary>Opens a stream; <paramref name="parseEvent"/> turns one data payload (a JSON-RPC response with the given id) into a stream item.</summary>
    public async Task<A2AEventStream> OpenStreamAsync<TParams>(
        string method, TParams parameters, JsonTypeInfo<TParams> paramsInfo, string? lastEventId,
        Func<ReadOnlySpan<byte>, long, StreamResponse> parseEvent, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _lastId);

        // Not disposed here: the response (which references it) outlives this method.
        var response = await AccessTokens.SendAsync(httpClient, () => CreateRequest(method, id, parameters, paramsInfo, streaming: true, lastEventId), options, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ReadHttpErrorAsync(response, cancellationToken).ConfigureAwait(false);
            }

            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                // A pre-stream error comes back as a plain JSON-RPC error response (spec 9, and what other SDKs do).
                var body = await ReadBodyAsync(response, options.MaxResponseSize, cancellationToken).ConfigureAwait(false);
                throw JsonRpcEnvelope.TryReadError(body.Span, inStream: false)
                    ?? new A2AInvalidResponseException(
                        $"{method} expected an event stream (text/event-stream) but the agent answered '{mediaType ?? "no content type"}': {Excerpt(body.Span)}");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            SseItemParser<StreamResponse> itemParser = (_, data) => parseEvent(data, id);
            return new SseConnection(response, stream, itemParser, options.MaxEventSize, cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private HttpRequestMessage CreateRequest<TParams>(string method, long id, TParams parameters, JsonTypeInfo<TParams> paramsInfo, bool streaming, string? lastEventId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc"u8, "2.0"u8);
            json.WriteNumber("id"u8, id);
            json.WriteString("method"u8, method);
            json.WritePropertyName("params"u8);
            JsonSerializer.Serialize(json, parameters, paramsInfo);
            json.WriteEndObject();
        }

        var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = JsonContentType;
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = content };
        request.Headers.Accept.Add(streaming ? AcceptEventStream : AcceptJson);
        request.Headers.TryAddWithoutValidation("A2A-Version", protocolVersion);
        request.Headers.TryAddWithoutValidation("A2A-Extensions", _extensions);

        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        if (streaming)
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        }

        return request;
    }

    /// <summary>A JSON-RPC error body keeps its code whatever the status; anything else is an HTTP error.</summary>
    private static async Task<A2AException> ReadHttpErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> body;
        try
        {
            body = await ReadBodyAsync(response, ErrorBodyLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (A2AResponseTooLargeException)
        {
            body = default;
        }

        var code = (int)response.StatusCode;
        return JsonRpcEnvelope.TryReadError(body.Span, inStream: false)
            ?? new A2AHttpException(response.StatusCode, $"The agent answered HTTP {code} {response.ReasonPhrase}{(body.IsEmpty ? "." : ": " + Excerpt(body.Span))}");
    }

    internal static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpResponseMessage response, long limit, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > limit)
        {
            throw new A2AResponseTooLargeException(limit, "a response body");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > limit)
                    {
                        throw new A2AResponseTooLargeException(limit, "a response body");
                    }

                    buffer.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        }
    }

    internal static string Excerpt(ReadOnlySpan<byte> body)
    {
        const int Max = 500;
        var text = Encoding.UTF8.GetString(body.Length > Max * 4 ? body[..(Max * 4)] : body).Trim();
        return text.Length <= Max ? text : text[..Max] + "...";
    }
}
