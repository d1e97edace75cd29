using System.Collections.Concurrent;

namespace Herald.Client.Tests.Infrastructure;

/// <summary>A DelegatingHandler that records each request (method, URL, headers, body) and can add a header.</summary>
internal sealed class RecordingHandler(HttpMessageHandler? inner = null) : DelegatingHandler(inner ?? new SocketsHttpHandler())
{
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public (string Name, string Value)? AddHeader { get; init; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (AddHeader is { } header)
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        if (request.Content is not null)
        {
            foreach (var h in request.Content.Headers)
            {
                headers[h.Key] = string.Join(",", h.Value);
            }
        }

        Requests.Enqueue(new RecordedRequest(request.Method.Method, request.RequestUri!, headers, body));
        return await base.SendAsync(request, cancellationToken);
    }
}
