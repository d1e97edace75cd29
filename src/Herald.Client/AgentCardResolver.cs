using System.Net.Http.Headers;
using System.Text.Json;
using Herald.Client.Bindings;
using Herald.Client.Internal;
using Herald.Protocol;
using Herald.Protocol.V03;

namespace Herald.Client;

/// <summary>
/// Fetches and reads agent cards: v1.0 cards (<c>supportedInterfaces</c>) and v0.3 cards (<c>url</c>,
/// <c>preferredTransport</c>, <c>additionalInterfaces</c>, <c>protocolVersion</c>), and chooses the
/// interface to talk to.
/// </summary>
public sealed class AgentCardResolver
{
    /// <summary>The well-known path of the public card (spec 8.2).</summary>
    public const string WellKnownPath = ".well-known/agent-card.json";

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    private readonly HttpClient _httpClient;
    private readonly A2AClientOptions _options;

    public AgentCardResolver(HttpClient httpClient, A2AClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _httpClient = httpClient;
        _options = options ?? new A2AClientOptions();
    }

    /// <summary>
    /// <c>{agentUrl}/.well-known/agent-card.json</c>; a URL that already names a <c>.json</c> file is used as is.
    /// </summary>
    public static Uri GetCardUri(Uri agentUrl)
    {
        ArgumentNullException.ThrowIfNull(agentUrl);
        if (!agentUrl.IsAbsoluteUri)
        {
            throw new ArgumentException("The agent URL must be absolute.", nameof(agentUrl));
        }

        if (agentUrl.AbsolutePath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return agentUrl;
        }

        var builder = new UriBuilder(agentUrl) { Query = "", Fragment = "" };
        builder.Path = builder.Path.TrimEnd('/') + "/" + WellKnownPath;
        return builder.Uri;
    }

    /// <summary>
    /// Fetches the public card of the agent at <paramref name="agentUrl"/>. Interface URLs are made
    /// absolute against the card's URL, and a v0.3 card's interfaces appear in
    /// <see cref="AgentCard.SupportedInterfaces"/> with their version.
    /// </summary>
    /// <exception cref="A2ANotAnAgentException">No card there, or not a valid agent card.</exception>
    /// <exception cref="HttpRequestException">The server could not be reached.</exception>
    /// <exception cref="A2ACardSignatureException">The card failed <see cref="A2AClientOptions.CardSignatureVerification"/>.</exception>
    public async Task<AgentCard> ResolveAsync(Uri agentUrl, CancellationToken cancellationToken = default) =>
        (await ResolveBothAsync(agentUrl, cancellationToken).ConfigureAwait(false)).Card;

    /// <summary>As <see cref="ResolveAsync"/>, with the card's v0.3 form when it has one.</summary>
    internal async Task<ResolvedCard> ResolveBothAsync(Uri agentUrl, CancellationToken cancellationToken)
    {
        var cardUri = GetCardUri(agentUrl);
        using var request = new HttpRequestMessage(HttpMethod.Get, cardUri);
        request.Headers.Accept.Add(AcceptJson);
        request.Headers.TryAddWithoutValidation("A2A-Version", _options.ProtocolVersion is { } pinned ? ProtocolVersions.Normalize(pinned) : ProtocolVersions.V1);
        using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new A2ANotAnAgentException(cardUri,
                $"No A2A agent card at {cardUri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.", response.StatusCode);
        }

        ReadOnlyMemory<byte> body;
        try
        {
            body = await JsonRpcTransport.ReadBodyAsync(response, _options.MaxResponseSize, cancellationToken).ConfigureAwait(false);
        }
        catch (A2AResponseTooLargeException ex)
        {
            throw new A2ANotAnAgentException(cardUri, $"The agent card at {cardUri} is larger than {ex.Limit} bytes.", null, ex);
        }

        AgentCard card;
        V03AgentCard? v03;
        try
        {
            (card, v03) = ParseBoth(body.Span);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            var type = response.Content.Headers.ContentType?.MediaType ?? "no content type";
            throw new A2ANotAnAgentException(cardUri,
                $"{cardUri} is not an A2A agent card ({type}): {ex.Message} {JsonRpcTransport.Excerpt(body.Span)}", null, ex);
        }

        // Over the bytes received (spec 8.4.3), before anything in the card is used.
        var signature = _options.CardSignatureVerification is { } verification
            ? await new CardSignatureVerifier(_httpClient, verification, cardUri).VerifyAsync(body, cancellationToken).ConfigureAwait(false)
            : null;
        return new ResolvedCard(card with { SupportedInterfaces = [.. card.SupportedInterfaces.Select(i => MakeAbsolute(i, cardUri))] }, v03, signature);
    }

    /// <summary>
    /// Reads a card in either format. For a v0.3 card, <see cref="AgentCard.SupportedInterfaces"/> is
    /// derived from <c>url</c>/<c>preferredTransport</c> (first) and <c>additionalInterfaces</c>, with the
    /// card's <c>protocolVersion</c> (0.3 when absent). A card with both keeps the v1.0 entries first.
    /// </summary>
    /// <exception cref="JsonException">Not JSON, not an agent card, or a card without any interface.</exception>
    public static AgentCard Parse(ReadOnlySpan<byte> utf8Json) => ParseBoth(utf8Json).Card;

    /// <summary>
    /// The card in the v1.0 model, and in the v0.3 model when it has the v0.3 fields (a top-level <c>url</c>)
    /// and reads as a v0.3 card. A card that is v0.3 only is mapped with <see cref="V03Mapping.ToV1(V03AgentCard)"/>,
    /// so that its security schemes and extended-card flag keep their meaning.
    /// </summary>
    internal static (AgentCard Card, V03AgentCard? V03) ParseBoth(ReadOnlySpan<byte> utf8Json)
    {
        var card = JsonSerializer.Deserialize(utf8Json, A2AJsonContext.Default.AgentCard)
            ?? throw new JsonException("The card is null.");
        var legacy = JsonSerializer.Deserialize(utf8Json, ClientJsonContext.Default.V03CardFields);
        V03AgentCard? v03 = null;
        if (legacy is { Url.Length: > 0 })
        {
            try
            {
                v03 = JsonSerializer.Deserialize(utf8Json, V03JsonContext.Default.V03AgentCard);
            }
            catch (JsonException)
            {
                // A card mixing v1.0-shaped members (e.g. securitySchemes) with the v0.3 top-level fields: the fields below suffice.
            }

            if (v03 is not null && (card.SupportedInterfaces is null || card.SupportedInterfaces.Count == 0))
            {
                return (V03Mapping.ToV1(v03), v03);
            }
        }

        // The source generator leaves absent init-only members null despite their initializers: restore the defaults.
        card = card with
        {
            Version = card.Version ?? "",
            Capabilities = card.Capabilities ?? new AgentCapabilities(),
            DefaultInputModes = card.DefaultInputModes ?? [],
            DefaultOutputModes = card.DefaultOutputModes ?? [],
            Skills = card.Skills ?? [],
        };
        var interfaces = new List<AgentInterface>(card.SupportedInterfaces ?? []);
        if (legacy is { Url: { Length: > 0 } mainUrl })
        {
            var version = string.IsNullOrWhiteSpace(legacy.ProtocolVersion) ? "0.3.0" : legacy.ProtocolVersion!;
            AddIfNew(interfaces, new AgentInterface { Url = mainUrl, ProtocolBinding = Or(legacy.PreferredTransport, ProtocolBindings.JsonRpc), ProtocolVersion = version });
            foreach (var additional in legacy.AdditionalInterfaces ?? [])
            {
                if (additional is { Url: { Length: > 0 } url })
                {
                    AddIfNew(interfaces, new AgentInterface { Url = url, ProtocolBinding = Or(additional.Transport, ProtocolBindings.JsonRpc), ProtocolVersion = version });
                }
            }
        }

        if (interfaces.Count == 0)
        {
            throw new JsonException("The card declares no interface (neither supportedInterfaces nor url).");
        }

        return (card with { SupportedInterfaces = interfaces }, v03);
    }

    /// <summary>
    /// Chooses the interface to use: the first one in the card's order (the agent's preference, spec 8.3.2;
    /// for a v0.3 card <c>url</c>/<c>preferredTransport</c> first, v0.3 spec 5.6.3) that this client implements.
    /// With <paramref name="protocolVersion"/>, only interfaces of that version (<c>Major.Minor</c>) qualify; with
    /// <paramref name="protocolBinding"/> (<c>JSONRPC</c>, <c>HTTP+JSON</c> or <c>rest</c>, <c>GRPC</c>), only that binding's.
    /// </summary>
    /// <exception cref="A2AVersionNotSupportedException">No interface qualifies; never a silent fallback.</exception>
    public static AgentInterface SelectInterface(AgentCard card, string? protocolVersion = null, string? protocolBinding = null) =>
        SelectInterface(card, protocolVersion, protocolBinding, null);

    /// <summary>
    /// As <see cref="SelectInterface(AgentCard, string?, string?)"/> for a client with <paramref name="options"/>: its pinned
    /// <see cref="A2AClientOptions.ProtocolVersion"/> and <see cref="A2AClientOptions.ProtocolBinding"/>, and the
    /// bindings of <see cref="A2AClientOptions.Bindings"/> next to the built-in ones.
    /// </summary>
    /// <exception cref="A2AVersionNotSupportedException">No interface qualifies; never a silent fallback.</exception>
    public static AgentInterface SelectInterface(AgentCard card, A2AClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return SelectInterface(card, options.ProtocolVersion, options.ProtocolBinding, options);
    }

    private static AgentInterface SelectInterface(AgentCard card, string? protocolVersion, string? protocolBinding, A2AClientOptions? options)
    {
        ArgumentNullException.ThrowIfNull(card);
        var pin = protocolVersion is null ? null : ProtocolVersions.Normalize(protocolVersion);
        var binding = string.IsNullOrWhiteSpace(protocolBinding) ? null : ProtocolBindings.Normalize(protocolBinding);
        foreach (var candidate in card.SupportedInterfaces)
        {
            var version = ProtocolVersions.Normalize(candidate.ProtocolVersion);
            if ((pin is null || version == pin)
                && (binding is null || ProtocolBindings.Is(candidate.ProtocolBinding, binding))
                && ProtocolBindings.IsImplemented(candidate.ProtocolBinding, version, options))
            {
                return candidate;
            }
        }

        var offered = card.SupportedInterfaces.Select(i => $"{i.ProtocolBinding} {i.ProtocolVersion} at {i.Url}").ToArray();
        var listed = offered.Length == 0 ? "no interfaces" : string.Join("; ", offered);
        var implemented = string.Join(", ", ProtocolBindings.ImplementedWith(options));
        if (pin is not null && !card.SupportedInterfaces.Any(i => ProtocolVersions.Normalize(i.ProtocolVersion) == pin))
        {
            throw new A2AVersionNotSupportedException(
                $"The agent does not offer A2A protocol version {pin} (pinned; no fallback to other versions). Its card lists: {listed}.", pin, offered);
        }

        if (binding is not null)
        {
            var bindingOffered = card.SupportedInterfaces.Any(i => ProtocolBindings.Is(i.ProtocolBinding, binding)
                && (pin is null || ProtocolVersions.Normalize(i.ProtocolVersion) == pin));
            var why = !bindingOffered
                ? $"The agent does not offer the {binding} binding{(pin is null ? "" : $" in version {pin}")} (pinned; no fallback to other bindings)."
                : ProtocolBindings.Is(binding, ProtocolBindings.Grpc)
                    ? $"The agent offers {binding}, but {ProtocolBindings.GrpcNotAvailable}."
                    : $"The agent offers {binding} only in versions this client does not implement ({implemented}).";
            throw new A2AVersionNotSupportedException($"{why} Its card lists: {listed}.", pin, offered);
        }

        throw new A2AVersionNotSupportedException(
            (pin, binding) switch
            {
                (null, null) => $"None of the agent's interfaces can be used: this client implements {implemented}; the card lists: {listed}.",
                (_, null) => $"The agent offers version {pin} only over bindings this client does not implement ({implemented}); the card lists: {listed}.",
                _ => $"The agent offers the {binding} binding{(pin is null ? "" : $" in version {pin}")} only in forms this client does not implement ({implemented}); the card lists: {listed}.",
            },
            pin, offered);
    }

    private static string Or(string? value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value;

    private static void AddIfNew(List<AgentInterface> interfaces, AgentInterface candidate)
    {
        var version = ProtocolVersions.Normalize(candidate.ProtocolVersion);
        if (!interfaces.Any(i => i.Url == candidate.Url
                && string.Equals(i.ProtocolBinding, candidate.ProtocolBinding, StringComparison.OrdinalIgnoreCase)
                && ProtocolVersions.Normalize(i.ProtocolVersion) == version))
        {
            interfaces.Add(candidate);
        }
    }

    /// <summary>
    /// A relative interface URL (allowed by few, written by some) is taken relative to the card. Not a gRPC one:
    /// <c>host:port</c> there is a gRPC target (the form gRPC clients dial), not a path.
    /// </summary>
    private static AgentInterface MakeAbsolute(AgentInterface agentInterface, Uri cardUri)
    {
        if (ProtocolBindings.Is(agentInterface.ProtocolBinding, ProtocolBindings.Grpc))
        {
            return agentInterface;
        }

        // On Unix "/a2a" parses as an absolute file: URI, so check the scheme too.
        if (Uri.TryCreate(agentInterface.Url, UriKind.Absolute, out var given) && (given.Scheme == Uri.UriSchemeHttp || given.Scheme == Uri.UriSchemeHttps))
        {
            return agentInterface;
        }

        return Uri.TryCreate(cardUri, agentInterface.Url, out var absolute) ? agentInterface with { Url = absolute.ToString() } : agentInterface;
    }
}

/// <summary>A fetched card: the v1.0 model, the v0.3 model when the card has the v0.3 fields, and the signature that verified.</summary>
internal sealed record ResolvedCard(AgentCard Card, V03AgentCard? V03, VerifiedCardSignature? Signature = null);
