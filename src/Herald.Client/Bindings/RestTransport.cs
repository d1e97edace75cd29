using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Client.Sse;
using Herald.Client.Internal;
using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// HTTP+JSON requests (spec 11): a path under the interface URL (with the tenant as first segment when the card
/// names one), ProtoJSON bodies as <c>application/a2a+json</c>, the <c>A2A-Version</c> header, results read as bare
/// objects, errors read from <c>google.rpc.Status</c> bodies, and SSE streams whose data is the bare
/// <c>StreamResponse</c> (an <c>event: error</c> ends one with an error).
/// </summary>
internal sealed class RestTransport(HttpClient httpClient, Uri endpoint, string? tenant, A2AClientOptions options)
{
    private const int ErrorBodyLimit = 64 * 1024;
    private static readonly MediaTypeWithQualityHeaderValue AcceptA2AJson = new("application/a2a+json");
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue AcceptEventStream = new("text/event-stream");
    private static readonly MediaTypeHeaderValue A2AJsonContentType = new("application/a2a+json");

    private readonly string _base = endpoint.AbsoluteUri.TrimEnd('/') + (string.IsNullOrEmpty(tenant) ? "" : "/" + Uri.EscapeDataString(tenant));
    // The resumable-streams extension is always activated, as over gRPC: Herald servers then add A2A 1.1 generations (gap
    // detection, long-polls); servers that do not know it ignore it (spec 3.2.6).
    private readonly string _extensions = string.Join(",", options.Extensions.Append(HeraldExtensionUris.ResumableStreams).Distinct(StringComparer.Ordinal));

    /// <summary><c>{interface url}[/{tenant}]{route}</c>; path parameters in <paramref name="route"/> are already escaped (<see cref="Escape"/>).</summary>
    public Uri Path(string route) => new(_base + route);

    /// <summary>A path parameter: escaped so that it stays one segment (a literal <c>:</c> of a route such as <c>:cancel</c> is not).</summary>
    public static string Escape(string value) => Uri.EscapeDataString(value);

    /// <summary>Sends a request and reads the JSON result; <paramref name="resultInfo"/> null expects no content.</summary>
    public async Task<TResult?> SendAsync<TBody, TResult>(HttpMethod method, Uri uri, TBody? body, JsonTypeInfo<TBody>? bodyInfo, JsonTypeInfo<TResult>? resultInfo, CancellationToken cancellationToken)
        where TResult : class
    {
        using var response = await AccessTokens.SendAsync(httpClient, () => CreateRequest(method, uri, body, bodyInfo, streaming: false, lastEventId: null), options, cancellationToken)
            .ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadHttpErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }

        if (resultInfo is null)
        {
            return null;
        }

        var content = await JsonRpcTransport.ReadBodyAsync(response, options.MaxResponseSize, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(content.Span, resultInfo)
                ?? throw new A2AInvalidResponseException($"The response is null; expected a {resultInfo.Type.Name}.");
        }
        catch (JsonException ex)
        {
            throw new A2AInvalidResponseException($"The response is not a valid {resultInfo.Type.Name}: {ex.Message} {JsonRpcTransport.Excerpt(content.Span)}", ex);
        }
    }

    /// <summary>Opens an SSE stream; a refusal (an HTTP error, or JSON instead of a stream) is thrown from here.</summary>
    public async Task<A2AEventStream> OpenStreamAsync<TBody>(Uri uri, TBody? body, JsonTypeInfo<TBody>? bodyInfo, string? lastEventId, CancellationToken cancellationToken)
    {
        // Not disposed here: the response (which references it) outlives this method.
        var response = await AccessTokens.SendAsync(httpClient, () => CreateRequest(HttpMethod.Post, uri, body, bodyInfo, streaming: true, lastEventId), options, cancellationToken)
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
                var content = await JsonRpcTransport.ReadBodyAsync(response, options.MaxResponseSize, cancellationToken).ConfigureAwait(false);
                throw RestErrorBody.TryRead(content.Span, inStream: false)
                    ?? new A2AInvalidResponseException(
                        $"{uri.AbsolutePath} expected an event stream (text/event-stream) but the agent answered '{mediaType ?? "no content type"}': {JsonRpcTransport.Excerpt(content.Span)}");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new SseConnection(response, stream, ParseEvent, options.MaxEventSize, cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>One stream item: a bare <c>StreamResponse</c>; <c>event: error</c> (or a bare error body) ends the stream with it.</summary>
    private static StreamResponse ParseEvent(string eventType, ReadOnlySpan<byte> data)
    {
        if (eventType == "error")
        {
            throw RestErrorBody.TryRead(data, inStream: true)
                ?? new A2AInvalidResponseException($"The stream ended with an error event the client cannot read: {JsonRpcTransport.Excerpt(data)}");
        }

        StreamResponse? item;
        try
        {
            item = JsonSerializer.Deserialize(data, A2AJsonContext.Default.StreamResponse);
        }
        catch (JsonException ex)
        {
            throw new A2AInvalidResponseException($"A stream event is not a valid StreamResponse: {ex.Message} {JsonRpcTransport.Excerpt(data)}", ex);
        }

        var count = item is null ? 0 : (item.Task is null ? 0 : 1) + (item.Message is null ? 0 : 1) + (item.StatusUpdate is null ? 0 : 1) + (item.ArtifactUpdate is null ? 0 : 1);
        if (count == 1)
        {
            return item!;
        }

        throw (count == 0 ? RestErrorBody.TryRead(data, inStream: true) : null)
            ?? new A2AInvalidResponseException($"A stream event must hold exactly one of task, message, statusUpdate and artifactUpdate; it holds {count}: {JsonRpcTransport.Excerpt(data)}");
    }

    private HttpRequestMessage CreateRequest<TBody>(HttpMethod method, Uri uri, TBody? body, JsonTypeInfo<TBody>? bodyInfo, bool streaming, string? lastEventId)
    {
        var request = new HttpRequestMessage(method, uri);
        if (body is not null && bodyInfo is not null)
        {
            var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, bodyInfo));
            content.Headers.ContentType = A2AJsonContentType;
            request.Content = content;
        }

        if (streaming)
        {
            request.Headers.Accept.Add(AcceptEventStream);
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        }
        else
        {
            request.Headers.Accept.Add(AcceptA2AJson);
            request.Headers.Accept.Add(AcceptJson);
        }

        request.Headers.TryAddWithoutValidation("A2A-Version", ProtocolVersions.V1);
        request.Headers.TryAddWithoutValidation("A2A-Extensions", _extensions);

        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return request;
    }

    /// <summary>A <c>google.rpc.Status</c> body gives the A2A error whatever the status; anything else is an HTTP error.</summary>
    private static async Task<A2AException> ReadHttpErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> body;
        try
        {
            body = await JsonRpcTransport.ReadBodyAsync(response, ErrorBodyLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (A2AResponseTooLargeException)
        {
            body = default;
        }

        return RestErrorBody.TryRead(body.Span, inStream: false)
            ?? new A2AHttpException(response.StatusCode,
                $"The agent answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(body.IsEmpty ? "." : ": " + JsonRpcTransport.Excerpt(body.Span))}");
    }
}
