using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Protocol.Signing;

namespace Herald.AspNetCore.Card;

/// <summary>
/// Signs a built card (spec 8.4): the signature covers the JCS form of exactly the JSON that is served, minus its
/// <c>signatures</c> member, so a client that canonicalizes what it received gets the same bytes. Applied once per
/// built card (cards are cached per URL), so the <c>ETag</c> is that of the signed bytes.
/// </summary>
internal static class AgentCardSigner
{
    /// <summary>Where the public key is served, relative to the endpoints' path (next to the card).</summary>
    public const string JwksPath = ".well-known/jwks.json";

    /// <summary>
    /// <paramref name="document"/> with one signature by <paramref name="key"/> in <c>signatures</c>, its <c>jku</c> the
    /// JWKS next to the card at <paramref name="endpointUrl"/>. Signatures in the configured card are dropped: they could
    /// not cover the card as served (its interfaces and v0.3 members are filled in here).
    /// </summary>
    public static AgentCardDocument Sign(AgentCardDocument document, AgentCardSigningKey key, string endpointUrl)
    {
        var card = JsonNode.Parse(document.Json)!.AsObject();
        card.Remove("signatures");
        var unsigned = Write(card);
        var signature = key.Sign(unsigned, JwksUrl(endpointUrl));
        card["signatures"] = new JsonArray(JsonSerializer.SerializeToNode(signature, A2AJsonContext.Default.AgentCardSignature));
        return document.WithJson(Write(card));
    }

    /// <summary>The JWKS URL for the endpoints at <paramref name="endpointUrl"/>.</summary>
    public static Uri JwksUrl(string endpointUrl) => new(endpointUrl.TrimEnd('/') + "/" + JwksPath);

    private static byte[] Write(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
