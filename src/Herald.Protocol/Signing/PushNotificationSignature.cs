using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Herald.Protocol.Signing;

/// <summary>
/// The signature of one push notification delivery: a JWT (RFC 7519, compact JWS) sent in
/// <see cref="PushNotificationHeaders.Signature"/>, signed with the server's push signing key (ES256 or RS256), whose
/// public key the server serves in its JWKS. Its protected header has <c>alg</c>, <c>typ</c> (<c>JWT</c>) and <c>kid</c>;
/// its claims are <c>iss</c> (the agent's base URL, when known), <c>aud</c> (the webhook URL), <c>iat</c>, <c>exp</c>
/// (a few minutes later), <c>jti</c> (unique per delivery attempt), <c>task_id</c>, <c>sequence</c>, <c>config_id</c> (when
/// known) and <c>request_body_sha256</c> (the base64url SHA-256 of the exact body bytes), so a receiver checks who sent
/// the delivery and that the body is the one signed.
/// </summary>
public static class PushNotificationSignature
{
    /// <summary>How long a delivery signature is valid by default.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    /// <summary>How far clocks may disagree when <see cref="Verify"/> checks <c>iat</c> and <c>exp</c>.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(60);

    /// <summary>A JWT over one delivery of <paramref name="body"/>, signed by <paramref name="key"/>.</summary>
    public static string Create(AgentCardSigningKey key, PushSignatureClaims claims, ReadOnlySpan<byte> body, DateTimeOffset issuedAt, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(claims);
        var header = Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("alg", key.Algorithm);
            writer.WriteString("typ", "JWT");
            writer.WriteString("kid", key.KeyId);
            writer.WriteEndObject();
        });
        var iat = issuedAt.ToUnixTimeSeconds();
        var exp = (issuedAt + (lifetime ?? DefaultLifetime)).ToUnixTimeSeconds();
        var bodyHash = BodyHash(body);
        var payload = Json(writer =>
        {
            writer.WriteStartObject();
            if (claims.Issuer is { } issuer)
            {
                writer.WriteString("iss", issuer);
            }

            if (claims.Audience is { } audience)
            {
                writer.WriteString("aud", audience);
            }

            writer.WriteNumber("iat", iat);
            writer.WriteNumber("exp", exp);
            writer.WriteString("jti", Guid.NewGuid().ToString("N"));
            writer.WriteString("task_id", claims.TaskId);
            writer.WriteNumber("sequence", claims.Sequence);
            if (claims.ConfigId is { } configId)
            {
                writer.WriteString("config_id", configId);
            }

            writer.WriteString("request_body_sha256", bodyHash);
            writer.WriteEndObject();
        });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        return signingInput + "." + Base64Url.EncodeToString(key.SignData(Encoding.ASCII.GetBytes(signingInput)));
    }

    /// <summary>
    /// Checks a delivery's signature <paramref name="jwt"/> over <paramref name="body"/> with the keys of the JWK Set
    /// <paramref name="jwks"/> (matched by <c>kid</c>): the signature, <c>iat</c> and <c>exp</c> at <paramref name="now"/>,
    /// and the body hash. The receiver still compares the claims' task id and sequence with what it expects.
    /// </summary>
    public static PushSignatureCheck Verify(string jwt, ReadOnlySpan<byte> body, string jwks, DateTimeOffset now, TimeSpan? clockSkew = null)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        ArgumentNullException.ThrowIfNull(jwks);
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return Fail("not a compact JWS (three base64url parts separated by dots)");
        }

        string alg, kid;
        byte[] payloadBytes, signature;
        try
        {
            using (var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])))
            {
                alg = Member(header.RootElement, "alg") ?? "";
                kid = Member(header.RootElement, "kid") ?? "";
            }

            payloadBytes = Base64Url.DecodeFromChars(parts[1]);
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return Fail($"the header or signature is not base64url-encoded JSON ({ex.Message})");
        }

        if (alg is not ("ES256" or "RS256"))
        {
            return Fail($"algorithm '{alg}' is not accepted (ES256, RS256)");
        }

        JsonElement? key;
        try
        {
            key = FindKey(jwks, kid);
        }
        catch (JsonException ex)
        {
            return Fail($"the JWKS is not a JWK Set: {ex.Message}");
        }

        if (key is not { } jwk)
        {
            return Fail($"no key in the JWKS has kid '{kid}'");
        }

        if (!Check(jwk, alg, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature))
        {
            return Fail($"the {alg} signature by key '{kid}' does not verify (the JWT was changed, or signed by another key)", kid);
        }

        PushSignatureClaims claims;
        long iat, exp;
        string hash;
        try
        {
            using var payload = JsonDocument.Parse(payloadBytes);
            var root = payload.RootElement;
            iat = root.TryGetProperty("iat", out var i) && i.TryGetInt64(out var iv) ? iv : throw new JsonException("no numeric 'iat'");
            exp = root.TryGetProperty("exp", out var e) && e.TryGetInt64(out var ev) ? ev : throw new JsonException("no numeric 'exp'");
            hash = Member(root, "request_body_sha256") ?? throw new JsonException("no 'request_body_sha256'");
            claims = new PushSignatureClaims
            {
                Issuer = Member(root, "iss"),
                Audience = Member(root, "aud"),
                TaskId = Member(root, "task_id") ?? throw new JsonException("no 'task_id'"),
                Sequence = root.TryGetProperty("sequence", out var s) && s.TryGetInt64(out var sv) ? sv : throw new JsonException("no numeric 'sequence'"),
                ConfigId = Member(root, "config_id"),
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Fail($"the claims are not usable: {ex.Message}", kid);
        }

        var skew = (long)(clockSkew ?? DefaultClockSkew).TotalSeconds;
        var nowSeconds = now.ToUnixTimeSeconds();
        if (nowSeconds > exp + skew)
        {
            return Fail($"the JWT expired at {DateTimeOffset.FromUnixTimeSeconds(exp):u}", kid, claims);
        }

        if (iat > nowSeconds + skew)
        {
            return Fail($"the JWT is issued in the future ({DateTimeOffset.FromUnixTimeSeconds(iat):u})", kid, claims);
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(BodyHash(body))))
        {
            return Fail("the body is not the one signed (request_body_sha256 differs)", kid, claims);
        }

        return new PushSignatureCheck(true, "verified", kid, claims);
    }

    /// <summary>The base64url SHA-256 of <paramref name="body"/>, as the <c>request_body_sha256</c> claim carries it.</summary>
    public static string BodyHash(ReadOnlySpan<byte> body) => Base64Url.EncodeToString(SHA256.HashData(body));

    private static PushSignatureCheck Fail(string reason, string? kid = null, PushSignatureClaims? claims = null) => new(false, reason, kid, claims);

    private static JsonElement? FindKey(string jwks, string kid)
    {
        using var document = JsonDocument.Parse(jwks);
        if (!document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("no 'keys' array");
        }

        foreach (var key in keys.EnumerateArray())
        {
            if (key.ValueKind == JsonValueKind.Object && Member(key, "kid") == kid && Member(key, "use") is null or "sig")
            {
                return key.Clone();
            }
        }

        return null;
    }

    private static bool Check(JsonElement key, string alg, byte[] signingInput, byte[] signature)
    {
        try
        {
            if (alg == "ES256")
            {
                if (Member(key, "kty") != "EC" || Member(key, "crv") != "P-256")
                {
                    return false;
                }

                using var ec = ECDsa.Create(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = Bytes(key, "x"), Y = Bytes(key, "y") },
                });
                return ec.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }

            if (Member(key, "kty") != "RSA")
            {
                return false;
            }

            using var rsa = RSA.Create(new RSAParameters { Modulus = Bytes(key, "n"), Exponent = Bytes(key, "e") });
            return rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return false; // a key that is not a key verifies nothing
        }
    }

    private static byte[] Bytes(JsonElement key, string name) => Base64Url.DecodeFromChars(Member(key, name) ?? throw new FormatException($"The JWK has no '{name}'."));

    private static string? Member(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>What a push delivery signature says, besides its times and body hash.</summary>
public sealed record PushSignatureClaims
{
    /// <summary><c>iss</c>: the agent's base URL, when the server knows it.</summary>
    public string? Issuer { get; init; }

    /// <summary><c>aud</c>: the webhook URL the delivery was made to.</summary>
    public string? Audience { get; init; }

    /// <summary><c>task_id</c>.</summary>
    public required string TaskId { get; init; }

    /// <summary><c>sequence</c>: the event's sequence in the task's log.</summary>
    public required long Sequence { get; init; }

    /// <summary><c>config_id</c>: the push notification config's id.</summary>
    public string? ConfigId { get; init; }
}

/// <summary>The result of <see cref="PushNotificationSignature.Verify"/>.</summary>
/// <param name="Verified">The signature, times and body hash all check out.</param>
/// <param name="Reason"><c>verified</c>, or why not.</param>
/// <param name="KeyId">The JWT's <c>kid</c>, once it was read.</param>
/// <param name="Claims">The claims, once the signature verified.</param>
public sealed record PushSignatureCheck(bool Verified, string Reason, string? KeyId, PushSignatureClaims? Claims);
