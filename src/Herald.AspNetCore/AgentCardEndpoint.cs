using System.Collections.Concurrent;
using Herald.AspNetCore.Card;
using Herald.Protocol;
using Herald.Protocol.Signing;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Herald.AspNetCore;

/// <summary>
/// Serves the agent card, in both generations (<see cref="AgentCardDocument"/>), at <c>/.well-known/agent-card.json</c>
/// and the older <c>/.well-known/agent.json</c>. Interface URLs come from <see cref="CardAddress"/> (configuration or the
/// listening addresses, never a bare <c>Host</c> header); the card carries an <c>ETag</c> and answers
/// <c>If-None-Match</c> with 304; it also carries a <c>Last-Modified</c> (when this endpoint was mapped, the card being
/// built from configuration read then) and answers <c>If-Modified-Since</c> with 304 when the request has no
/// <c>If-None-Match</c> (RFC 9110 13.2.2). Interfaces served elsewhere (gRPC) come from each <see cref="IAgentInterfaceProvider"/>.
/// </summary>
internal sealed class AgentCardEndpoint(HeraldOptions options, string pattern, IReadOnlyList<CardInterface> interfaces, IReadOnlyList<IAgentInterfaceProvider> providers, IServer? server, CardSecurity? security = null)
{
    /// <summary>Cards by endpoint URL: a server has few addresses, and a card is built once per address.</summary>
    private const int MaxCachedCards = 16;

    private readonly ConcurrentDictionary<string, AgentCardDocument> _documents = new(StringComparer.Ordinal);

    /// <summary>When the card's content was fixed: now, to the second (HTTP dates have no finer resolution).</summary>
    private readonly DateTimeOffset _lastModified = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    public AgentCardDocument GetDocument(HttpContext context, out bool shareable)
    {
        var (origin, shared) = CardAddress.Resolve(context, options.PublicBaseUrl, server?.Features.Get<IServerAddressesFeature>());
        shareable = shared;

        // A configured public URL already says where the endpoints are mounted; otherwise the app's own path base applies.
        var path = (options.PublicBaseUrl is null ? context.Request.PathBase : PathString.Empty) + new PathString(pattern == "/" ? "" : "/" + pattern.Trim('/'));
        var url = origin + (path.HasValue ? path.Value : "/");
        if (_documents.TryGetValue(url, out var document))
        {
            return document;
        }

        // Providers see only the resolved endpoint URL, so a card cached for that URL is the same for every client.
        var endpoint = new Uri(url);
        document = AgentCardDocument.Build(security?.Apply(options.Card) ?? options.Card, interfaces, url, [.. providers.SelectMany(p => p.GetInterfaces(endpoint))],
            security?.ExtendedCard ?? false, options.PushNotifications);
        if (options.CardSigningKey is { } signingKey)
        {
            document = AgentCardSigner.Sign(document, signingKey, url);
        }

        return _documents.Count < MaxCachedCards ? _documents.GetOrAdd(url, document) : document;
    }

    /// <summary>
    /// The extended card (<see cref="HeraldOptions.ExtendedCard"/>) as configured, with what the public card says where
    /// it says nothing: interfaces, security; capabilities are always the public card's (what Herald serves).
    /// </summary>
    public AgentCard GetExtendedCard(HttpContext context)
    {
        var configured = options.ExtendedCard ?? throw new InvalidOperationException("No extended card is configured.");
        var card = GetDocument(context, out _).Card;
        return configured with
        {
            SupportedInterfaces = configured.SupportedInterfaces.Count > 0 ? configured.SupportedInterfaces : card.SupportedInterfaces,
            SecuritySchemes = configured.SecuritySchemes ?? card.SecuritySchemes,
            SecurityRequirements = configured.SecurityRequirements ?? card.SecurityRequirements,
            Capabilities = card.Capabilities,
        };
    }

    public async Task HandleAsync(HttpContext context)
    {
        var document = GetDocument(context, out var shareable);
        var response = context.Response;
        response.Headers.ETag = document.ETag;
        response.GetTypedHeaders().LastModified = _lastModified;

        // A card whose URLs came from this connection must not be handed to other clients by a shared cache.
        response.Headers.CacheControl = shareable ? "public, max-age=60" : "private, max-age=60";
        if (NotModified(context.Request, document.ETag, _lastModified))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = "application/json";
        response.ContentLength = document.Json.Length;
        await response.Body.WriteAsync(document.Json, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The public halves of the card signing key (the card signatures' <c>jku</c>) and of the push signing key (which signs
    /// webhook deliveries) as one JWK Set; 404 when neither is set.
    /// </summary>
    public IResult HandleJwks()
    {
        var keys = new[] { options.CardSigningKey, options.PushSigningKey }.OfType<AgentCardSigningKey>().DistinctBy(k => k.KeyId).ToList();
        return keys.Count == 0
            ? Results.NotFound()
            : Results.Text("{\"keys\":[" + string.Join(",", keys.Select(k => k.PublicJwk)) + "]}", "application/jwk-set+json");
    }

    private static bool NotModified(HttpRequest request, string etag, DateTimeOffset lastModified)
    {
        var headers = request.GetTypedHeaders();
        var ifNoneMatch = headers.IfNoneMatch;
        if (ifNoneMatch is not { Count: > 0 })
        {
            // If-Modified-Since counts only without If-None-Match (RFC 9110 13.2.2); an unparsable date is ignored.
            return request.Headers.IfNoneMatch.Count == 0 && headers.IfModifiedSince is { } since && lastModified <= since;
        }

        var current = new EntityTagHeaderValue(etag);
        foreach (var candidate in ifNoneMatch)
        {
            // If-None-Match compares weakly (RFC 9110 13.1.2): a W/ prefix does not matter.
            if (candidate.Equals(EntityTagHeaderValue.Any) || candidate.Compare(current, useStrongComparison: false))
            {
                return true;
            }
        }

        return false;
    }
}
