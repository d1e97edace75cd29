using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Herald.Protocol;
using Herald.Protocol.V03;

namespace Herald.AspNetCore.Card;

/// <summary>
/// The agent card as served: the v1.0 card with the v0.3 top-level members added (<c>url</c>, <c>preferredTransport</c>,
/// <c>additionalInterfaces</c>, <c>protocolVersion</c>, ...), so that clients of either generation read it; its bytes and
/// the <c>ETag</c> derived from them.
/// </summary>
internal sealed class AgentCardDocument
{
    /// <summary>How the card declares the extension (docs/resumable-streams.md).</summary>
    public static readonly AgentExtension ResumableStreams = new()
    {
        Uri = HeraldExtensionUris.ResumableStreams,
        Description = "Stream events carry their task log sequence as the SSE id; SubscribeToTask (tasks/resubscribe in v0.3) with Last-Event-ID resumes after it.",
        Required = false,
    };

    private AgentCardDocument(AgentCard card, byte[] json)
    {
        Card = card;
        Json = json;
        ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(json).AsSpan(0, 16)) + "\"";
    }

    public AgentCard Card { get; }

    public byte[] Json { get; }

    /// <summary>A strong validator: a hash of the bytes, so it changes exactly when the card does.</summary>
    public string ETag { get; }

    /// <summary>
    /// The card for clients that reach the endpoints at <paramref name="endpointUrl"/>. Interfaces are the configured
    /// ones, or else one per entry of <paramref name="interfaces"/> at that URL followed by <paramref name="elsewhere"/>
    /// (bindings served apart from that URL); capabilities always tell what Herald
    /// serves, whatever the configured card says (<paramref name="extendedAgentCard"/>: an extended card is configured).
    /// </summary>
    public static AgentCardDocument Build(
        AgentCard configured, IReadOnlyList<CardInterface> interfaces, string endpointUrl, IReadOnlyList<AgentInterface>? elsewhere = null, bool extendedAgentCard = false, bool pushNotifications = false)
    {
        var supported = configured.SupportedInterfaces.Count > 0
            ? configured.SupportedInterfaces
            : [.. interfaces.Select(i => new AgentInterface { Url = Join(endpointUrl, i.Path), ProtocolBinding = i.ProtocolBinding, ProtocolVersion = i.ProtocolVersion }), .. elsewhere ?? []];
        var extensions = configured.Capabilities.Extensions ?? [];
        if (!extensions.Any(e => e.Uri == HeraldExtensionUris.ResumableStreams))
        {
            extensions = [.. extensions, ResumableStreams];
        }

        var card = configured with
        {
            SupportedInterfaces = supported,
            Capabilities = configured.Capabilities with
            {
                Streaming = true,
                PushNotifications = pushNotifications,
                ExtendedAgentCard = extendedAgentCard,
                Extensions = extensions,
            },
        };

        // Both generations in one object: v1.0 members win where they share a name (they agree); v0.3's own are added.
        var merged = JsonMerge.Merge(
            JsonSerializer.SerializeToNode(card, A2AJsonContext.Default.AgentCard)!,
            JsonSerializer.SerializeToNode(V03Mapping.ToV03(card), V03JsonContext.Default.V03AgentCard));
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            merged.WriteTo(writer);
        }

        return new AgentCardDocument(card, buffer.WrittenSpan.ToArray());
    }

    /// <summary>The same card served as <paramref name="json"/> (e.g. signed, <see cref="AgentCardSigner"/>).</summary>
    public AgentCardDocument WithJson(byte[] json) => new(Card, json);

    private static string Join(string endpointUrl, string path) =>
        path.Length == 0 ? endpointUrl : endpointUrl.TrimEnd('/') + "/" + path.TrimStart('/');
}
