namespace Herald.Client;

/// <summary>
/// How a client checks agent card signatures (spec 8.4.3), set as <see cref="A2AClientOptions.CardSignatureVerification"/>.
/// The signature is checked over the JCS form of the card JSON as received, without its <c>signatures</c> member; a card
/// is accepted when one of its signatures verifies with a known key. A signed card whose signatures do not verify is
/// refused (<see cref="A2ACardSignatureException"/>); an unsigned card is refused only with <see cref="RequireSignedCard"/>.
/// </summary>
public sealed class CardSignatureVerification
{
    /// <summary>Refuse a card that carries no signature (<see cref="CardSignatureFailure.Unsigned"/>).</summary>
    public bool RequireSignedCard { get; set; }

    /// <summary>Trusted public keys: a JWK Set (<c>{"keys":[...]}</c>) as JSON text, matched by <c>kid</c>.</summary>
    public string? TrustedJwks { get; set; }

    /// <summary>A JWK Set of trusted public keys to fetch (any origin: naming it is trusting it).</summary>
    public Uri? TrustedJwksUrl { get; set; }

    /// <summary>
    /// Also trust the key a signature's <c>jku</c> points at when that URL has the card's origin (scheme, host and port).
    /// Such a key proves the card is what that origin serves (unchanged by caches and intermediaries), not who runs it:
    /// turn this off and give <see cref="TrustedJwks"/> or <see cref="TrustedJwksUrl"/> to pin the signer. On by default;
    /// a <c>jku</c> of another origin is never followed.
    /// </summary>
    public bool TrustSameOriginJku { get; set; } = true;
}

/// <summary>A signature of the agent card that verified.</summary>
/// <param name="KeyId">The signature's <c>kid</c>.</param>
/// <param name="Algorithm">The signature's <c>alg</c> (<c>ES256</c>, <c>RS256</c>, <c>PS256</c>).</param>
/// <param name="JwksUrl">Where the key came from: the <c>jku</c> or <see cref="CardSignatureVerification.TrustedJwksUrl"/>; null for <see cref="CardSignatureVerification.TrustedJwks"/>.</param>
public sealed record VerifiedCardSignature(string KeyId, string Algorithm, Uri? JwksUrl);
