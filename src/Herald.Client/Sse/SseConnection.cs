using System.Net.ServerSentEvents;
using Herald.Client.Bindings;
using Herald.Protocol;

namespace Herald.Client.Sse;

/// <summary>
/// One open SSE response, read with the BCL <see cref="SseParser"/> through a size-limiting stream.
/// Disposing it closes the HTTP response (and so the connection).
/// </summary>
internal sealed class SseConnection : A2AEventStream
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly SseParser<StreamResponse> _parser;
    private readonly IAsyncEnumerator<SseItem<StreamResponse>> _items;

    public SseConnection(HttpResponseMessage response, Stream body, SseItemParser<StreamResponse> itemParser, int maxEventSize, CancellationToken cancellationToken)
    {
        _response = response;
        _body = new SseLimitStream(body, maxEventSize);
        _parser = SseParser.Create(_body, itemParser);
        _items = _parser.EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    public override StreamResponse Current => _items.Current.Data;

    /// <summary>The SSE <c>id:</c> of the current event.</summary>
    public override string? CurrentEventId => _items.Current.EventId;

    /// <summary>The server's <c>retry:</c>, once it has been read.</summary>
    public override TimeSpan? RetryInterval => _parser.ReconnectionInterval >= TimeSpan.Zero ? _parser.ReconnectionInterval : null;

    /// <summary>Next event; false at a clean end of the response.</summary>
    public override ValueTask<bool> MoveNextAsync() => _items.MoveNextAsync();

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _items.DisposeAsync().ConfigureAwait(false);
            await _body.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            // Closing a broken connection may fail; it is being dropped anyway.
        }
        finally
        {
            _response.Dispose();
        }
    }
}
