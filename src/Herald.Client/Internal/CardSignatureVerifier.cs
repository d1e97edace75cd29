using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Herald.Client.Bindings;
using Herald.Protocol.Signing;

namespace Herald.Client.Internal;

/// <summary>
/// Checks a fetched card's signatures (spec 8.4.3) against <see cref="CardSignatureVerification"/>: the payload is the
/// JCS form of the bytes received without <c>signatures</c>, never a re-serialized model, so members this client does
/// not model (the v0.3 ones, extensions) are covered too.
/// </summary>
internal sealed class CardSignatureVerifier(HttpClient httpClient, CardSignatureVerification settings, Uri cardUri)
{
    /// <summary>A key set is small; this bounds what a hostile <c>jku</c> can make the client read.</summary>
    private const int MaxJwksSize = 256 * 1024;

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    private readonly Dictionary<Uri, IReadOnlyList<JsonElement>> _fetched = [];

    /// <summary>The signature that verified, or null for an unsigned card when none is required.</summary>
    /// <exception cref="A2ACardSignatureException">No signature verified, or none is there and one is required.</exception>
    public async Task<VerifiedCardSignature?> VerifyAsync(ReadOnlyMemory<byte> cardJson, CancellationToken cancellationToken)
    {
        JsonElement[] signatures;
        using (var document = JsonDocument.Parse(cardJson))
        {
            signatures = document.RootElement.TryGetProperty("signatures", out var list) && list.ValueKind == JsonValueKind.Array
                ? [.. list.EnumerateArray().Select(s => s.Clone())]
                : [];
        }

        if (signatures.Length == 0)
        {
            return settings.RequireSignedCard
                ? throw Fail(CardSignatureFailure.Unsigned, $"The agent card at {cardUri} is not signed, and a signed card is required.")
                : null;
        }

        byte[] payload;
        try
        {
            payload = AgentCardSigning.CanonicalPayload(cardJson.Span);
        }
        catch (JsonException ex)
        {
            throw Fail(CardSignatureFailure.Malformed, $"The agent card at {cardUri} has no canonical form (RFC 8785): {ex.Message}", ex);
        }

        var trusted = new List<(JsonElement Key, Uri? Source)>();
        if (settings.TrustedJwks is { } inline)
        {
            trusted.AddRange(ReadKeySet(inline, "the trusted JWKS").Select(k => (k, (Uri?)null)));
        }

        if (settings.TrustedJwksUrl is { } trustedUrl)
        {
            trusted.AddRange((await FetchAsync(trustedUrl, cancellationToken).ConfigureAwait(false)).Select(k => (k, (Uri?)trustedUrl)));
        }

        // The most telling failure wins: a known key that does not verify says more than a key nobody knows.
        (CardSignatureFailure Failure, string Reason)? worst = null;
        for (var i = 0; i < signatures.Length; i++)
        {
            var (verified, failure, reason) = await VerifyOneAsync(signatures[i], payload, trusted, cancellationToken).ConfigureAwait(false);
            if (verified is not null)
            {
                return verified;
            }

            if (worst is null || Rank(failure) > Rank(worst.Value.Failure))
            {
                worst = (failure, $"signature {i + 1} of {signatures.Length}: {reason}");
            }
        }

        throw Fail(worst!.Value.Failure, $"The agent card at {cardUri} failed signature verification: {worst.Value.Reason}");
    }

    private static int Rank(CardSignatureFailure failure) => failure switch
    {
        CardSignatureFailure.InvalidSignature => 3,
        CardSignatureFailure.KeysUnavailable => 2,
        CardSignatureFailure.UnknownKey => 1,
        _ => 0,
    };

    private async Task<(VerifiedCardSignature? Verified, CardSignatureFailure Failure, string Reason)> VerifyOneAsync(
        JsonElement signature, byte[] payload, List<(JsonElement Key, Uri? Source)> trusted, CancellationToken cancellationToken)
    {
        if (signature.ValueKind != JsonValueKind.Object
            || !signature.TryGetProperty("protected", out var protectedElement) || protectedElement.ValueKind != JsonValueKind.String
            || !signature.TryGetProperty("signature", out var signatureElement) || signatureElement.ValueKind != JsonValueKind.String)
        {
            return (null, CardSignatureFailure.Malformed, "not an object with 'protected' and 'signature' strings");
        }

        var protectedHeader = protectedElement.GetString()!;
        string alg, kid;
        string? jku;
        byte[] signatureBytes;
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(protectedHeader));
            var root = header.RootElement;
            alg = root.TryGetProperty("alg", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
            kid = root.TryGetProperty("kid", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
            jku = root.TryGetProperty("jku", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            signatureBytes = Base64Url.DecodeFromChars(signatureElement.GetString()!);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return (null, CardSignatureFailure.Malformed, $"the protected header or signature is not base64url-encoded JSON ({ex.Message})");
        }

        if (alg is not ("ES256" or "RS256" or "PS256"))
        {
            return (null, CardSignatureFailure.Malformed, $"algorithm '{alg}' is not supported (ES256, RS256, PS256)");
        }

        if (kid.Length == 0)
        {
            return (null, CardSignatureFailure.Malformed, "the protected header has no 'kid'");
        }

        var candidates = trusted.Where(t => KeyId(t.Key) == kid).ToList();
        var jkuNote = "";
        if (candidates.Count == 0 && jku is not null)
        {
            if (!Uri.TryCreate(jku, UriKind.Absolute, out var jkuUri))
            {
                return (null, CardSignatureFailure.Malformed, $"the 'jku' '{jku}' is not an absolute URL");
            }

            if (!settings.TrustSameOriginJku)
            {
                jkuNote = $"; its jku {jkuUri} is not trusted (TrustSameOriginJku is off)";
            }
            else if (!SameOrigin(jkuUri, cardUri))
            {
                jkuNote = $"; its jku {jkuUri} is not of the card's origin, so it is not followed";
            }
            else
            {
                try
                {
                    candidates = [.. (await FetchAsync(jkuUri, cancellationToken).ConfigureAwait(false)).Where(key => KeyId(key) == kid).Select(key => (key, (Uri?)jkuUri))];
                }
                catch (A2ACardSignatureException ex)
                {
                    return (null, ex.Failure, ex.Message);
                }

                jkuNote = $" (nor at its jku {jkuUri})";
            }
        }

        if (candidates.Count == 0)
        {
            return (null, CardSignatureFailure.UnknownKey, $"no trusted key has kid '{kid}'{jkuNote}");
        }

        var signingInput = AgentCardSigning.SigningInput(protectedHeader, payload);
        string? unusable = null;
        foreach (var (key, source) in candidates)
        {
            if (Unusable(key, alg) is { } why)
            {
                unusable = why;
            }
            else if (Check(key, alg, signingInput, signatureBytes))
            {
                return (new VerifiedCardSignature(kid, alg, source), default, "");
            }
            else
            {
                return (null, CardSignatureFailure.InvalidSignature,
                    $"the {alg} signature by key '{kid}' does not verify over the card as received (the card was changed, or signed by another key)");
            }
        }

        return (null, CardSignatureFailure.Malformed, $"the key '{kid}' cannot check an {alg} signature: {unusable}");
    }

    /// <summary>Null when <paramref name="key"/> can check an <paramref name="alg"/> signature, else why not.</summary>
    private static string? Unusable(JsonElement key, string alg)
    {
        var kty = Member(key, "kty");
        return (alg, kty) switch
        {
            ("ES256", "EC") when Member(key, "crv") == "P-256" => null,
            ("ES256", _) => $"an ES256 key is an EC key on P-256, this one is kty '{kty}' crv '{Member(key, "crv")}'",
            ("RS256" or "PS256", "RSA") => null,
            _ => $"an {alg} key is an RSA key, this one is kty '{kty}'",
        };
    }

    private static bool Check(JsonElement key, string alg, byte[] signingInput, byte[] signature)
    {
        try
        {
            if (alg == "ES256")
            {
                using var ec = ECDsa.Create(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = Bytes(key, "x"), Y = Bytes(key, "y") },
                });
                return ec.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }

            using var rsa = RSA.Create(new RSAParameters { Modulus = Bytes(key, "n"), Exponent = Bytes(key, "e") });
            return rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, alg == "PS256" ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return false; // a key that is not a key verifies nothing
        }
    }

    private static byte[] Bytes(JsonElement key, string name) => Base64Url.DecodeFromChars(Member(key, name) ?? throw new FormatException($"The JWK has no '{name}'."));

    private static string? Member(JsonElement key, string name) =>
        key.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? KeyId(JsonElement key) => Member(key, "kid");

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    private async Task<IReadOnlyList<JsonElement>> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        if (_fetched.TryGetValue(url, out var known))
        {
            return known;
        }

        ReadOnlyMemory<byte> body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(AcceptJson);
            using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw Fail(CardSignatureFailure.KeysUnavailable, $"The key set at {url} could not be fetched: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            body = await JsonRpcTransport.ReadBodyAsync(response, MaxJwksSize, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or A2AResponseTooLargeException)
        {
            throw Fail(CardSignatureFailure.KeysUnavailable, $"The key set at {url} could not be fetched: {ex.Message}", ex);
        }

        var keys = ReadKeySet(System.Text.Encoding.UTF8.GetString(body.Span), $"the key set at {url}");
        _fetched[url] = keys;
        return keys;
    }

    private IReadOnlyList<JsonElement> ReadKeySet(string json, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                throw new JsonException("no 'keys' array");
            }

            return [.. keys.EnumerateArray().Where(k => k.ValueKind == JsonValueKind.Object && Member(k, "use") is null or "sig").Select(k => k.Clone())];
        }
        catch (JsonException ex)
        {
            throw Fail(CardSignatureFailure.Malformed, $"{what} is not a JWK Set: {ex.Message}", ex);
        }
    }

    private A2ACardSignatureException Fail(CardSignatureFailure failure, string message, Exception? inner = null) => new(cardUri, failure, message, inner);
}
