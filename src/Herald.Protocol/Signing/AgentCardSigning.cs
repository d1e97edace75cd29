using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Herald.Protocol.Signing;

/// <summary>
/// The bytes an agent card signature covers (spec 8.4), for signers (<see cref="AgentCardSigningKey"/>) and verifiers alike.
/// </summary>
public static class AgentCardSigning
{
    /// <summary>
    /// What a card signature covers (spec 8.4.1): the JCS form (RFC 8785) of the card JSON <paramref name="cardJson"/>
    /// without its top-level <c>signatures</c> member.
    /// </summary>
    /// <exception cref="JsonException">Not a JSON object, or one without a canonical form.</exception>
    public static byte[] CanonicalPayload(ReadOnlySpan<byte> cardJson)
    {
        var reader = new Utf8JsonReader(cardJson);
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("An agent card is a JSON object.");
        }

        return JsonCanonicalizer.Canonicalize(document.RootElement, "signatures");
    }

    /// <summary>The JWS Signing Input (RFC 7515 5.1): <c>protected || '.' || BASE64URL(payload)</c>, in ASCII.</summary>
    public static byte[] SigningInput(string protectedHeader, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(protectedHeader);
        return Encoding.ASCII.GetBytes(protectedHeader + "." + Base64Url.EncodeToString(payload));
    }
}
