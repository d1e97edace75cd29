using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Herald.Protocol.Signing;

/// <summary>
/// A private key that signs agent cards (spec 8.4): a detached JWS (RFC 7515 appendix F) over the JCS form (RFC 8785)
/// of the card JSON without its <c>signatures</c> member. An EC P-256 key signs with ES256, an RSA key (2048 bits or
/// more) with RS256. The key id is the key's RFC 7638 thumbprint unless one is given.
/// </summary>
public sealed class AgentCardSigningKey : IDisposable
{
    /// <summary>The OID of NIST P-256 (secp256r1, prime256v1).</summary>
    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly ECDsa? _ec;
    private readonly RSA? _rsa;

    private readonly bool _owned;

    private AgentCardSigningKey(ECDsa? ec, RSA? rsa, string? keyId, bool owned = false)
    {
        _ec = ec;
        _rsa = rsa;
        _owned = owned;
        Algorithm = ec is not null ? "ES256" : "RS256";
        var jwk = PublicJwkMembers();
        KeyId = string.IsNullOrEmpty(keyId) ? Thumbprint(jwk) : keyId;
        PublicJwk = WriteJson(writer =>
        {
            writer.WriteStartObject();
            foreach (var (name, value) in jwk)
            {
                writer.WriteString(name, value);
            }

            writer.WriteString("kid", KeyId);
            writer.WriteString("alg", Algorithm);
            writer.WriteString("use", "sig");
            writer.WriteEndObject();
        });
    }

    /// <summary>The JWS <c>kid</c> of signatures made with this key, and of its public JWK.</summary>
    public string KeyId { get; }

    /// <summary>The JWS <c>alg</c>: <c>ES256</c> or <c>RS256</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The public half as a JWK (RFC 7517), with <c>kid</c>, <c>alg</c> and <c>use</c>; never a private member.</summary>
    public string PublicJwk { get; }

    /// <summary>A JWK Set (<c>{"keys":[...]}</c>) holding <see cref="PublicJwk"/> only: what a <c>jku</c> URL serves.</summary>
    public string PublicJwks => "{\"keys\":[" + PublicJwk + "]}";

    /// <summary>Signs with an EC key on P-256 (ES256). The key stays the caller's: disposing this does not dispose it.</summary>
    /// <exception cref="ArgumentException">The key is not on P-256.</exception>
    public static AgentCardSigningKey Create(ECDsa key, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var curve = key.ExportParameters(false).Curve;
        if (curve.Oid?.Value != P256Oid && curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1"))
        {
            throw new ArgumentException($"Agent card signing takes an EC key on P-256 (ES256); this one is on {curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "an unnamed curve"}.", nameof(key));
        }

        return new AgentCardSigningKey(key, null, keyId);
    }

    /// <summary>Signs with an RSA key of 2048 bits or more (RS256). The key stays the caller's.</summary>
    /// <exception cref="ArgumentException">The key is shorter than 2048 bits.</exception>
    public static AgentCardSigningKey Create(RSA key, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize < 2048)
        {
            throw new ArgumentException($"Agent card signing takes an RSA key of 2048 bits or more; this one has {key.KeySize}.", nameof(key));
        }

        return new AgentCardSigningKey(null, key, keyId);
    }

    /// <summary>
    /// Reads an unencrypted private key in PEM: <c>EC PRIVATE KEY</c> (as <c>openssl ecparam -genkey -name prime256v1</c>
    /// writes), <c>RSA PRIVATE KEY</c>, or PKCS#8 <c>PRIVATE KEY</c> holding either.
    /// </summary>
    /// <exception cref="ArgumentException">No private key in the text, an encrypted key, or a key of another kind or curve.</exception>
    public static AgentCardSigningKey FromPem(string pem, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        string? label = null;
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var found = rest[fields.Label].ToString();
            rest = rest[fields.Location.End..];
            if (found is "EC PRIVATE KEY" or "RSA PRIVATE KEY" or "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY")
            {
                label = found;
                break;
            }
        }

        switch (label)
        {
            case null:
                throw new ArgumentException("No private key found: expected a PEM block 'EC PRIVATE KEY', 'RSA PRIVATE KEY' or 'PRIVATE KEY' " +
                    "(make one with: openssl ecparam -genkey -name prime256v1 -noout -out key.pem).", nameof(pem));
            case "ENCRYPTED PRIVATE KEY":
                throw new ArgumentException("The private key is encrypted; give an unencrypted PEM (openssl pkey -in key.pem -out plain.pem).", nameof(pem));
        }

        if (label != "RSA PRIVATE KEY")
        {
            var ec = ECDsa.Create();
            try
            {
                ec.ImportFromPem(pem);
                Create(ec, keyId); // checks the curve
                return new AgentCardSigningKey(ec, null, keyId, owned: true);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                ec.Dispose();
                if (label == "EC PRIVATE KEY" || ex is ArgumentException)
                {
                    throw new ArgumentException($"The EC key cannot be used: {ex.Message}", nameof(pem), ex);
                }
            }
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            Create(rsa, keyId); // checks the size
            return new AgentCardSigningKey(null, rsa, keyId, owned: true);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            throw new ArgumentException($"The key is neither an EC P-256 nor an RSA private key: {ex.Message}", nameof(pem), ex);
        }
    }

    /// <summary>
    /// The signature of the card <paramref name="cardJson"/> as it will be served: a detached JWS whose payload is the
    /// JCS form of that JSON without its <c>signatures</c> member, with a protected header of <c>alg</c>,
    /// <c>typ</c> (<c>JOSE</c>), <c>kid</c> and, when given, <c>jku</c> (where <see cref="PublicJwks"/> is served).
    /// </summary>
    /// <exception cref="JsonException"><paramref name="cardJson"/> is not a JSON object that has a canonical form.</exception>
    public AgentCardSignature Sign(ReadOnlySpan<byte> cardJson, Uri? jwksUrl = null)
    {
        var payload = AgentCardSigning.CanonicalPayload(cardJson);
        var header = WriteJson(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("alg", Algorithm);
            writer.WriteString("typ", "JOSE");
            writer.WriteString("kid", KeyId);
            if (jwksUrl is not null)
            {
                writer.WriteString("jku", jwksUrl.AbsoluteUri);
            }

            writer.WriteEndObject();
        });
        var protectedHeader = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header));
        var signingInput = AgentCardSigning.SigningInput(protectedHeader, payload);
        return new AgentCardSignature { Protected = protectedHeader, Signature = Base64Url.EncodeToString(SignData(signingInput)) };
    }

    /// <summary>The JWS signature (RFC 7518: ES256 as R || S, RS256 as PKCS#1 v1.5) of a JWS Signing Input, for other JWS this key makes.</summary>
    internal byte[] SignData(ReadOnlySpan<byte> signingInput) => _ec is not null
        ? _ec.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
        : _rsa!.SignData(signingInput, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    public void Dispose()
    {
        // Keys read from PEM are ours; keys passed in are the caller's (Create) and are not disposed here.
        if (_owned)
        {
            _ec?.Dispose();
            _rsa?.Dispose();
        }
    }

    /// <summary>The JWK's public members in the order RFC 7638 hashes them (lexicographic).</summary>
    private List<(string Name, string Value)> PublicJwkMembers()
    {
        if (_ec is not null)
        {
            var p = _ec.ExportParameters(false);
            return [("crv", "P-256"), ("kty", "EC"), ("x", Base64Url.EncodeToString(p.Q.X)), ("y", Base64Url.EncodeToString(p.Q.Y))];
        }

        var r = _rsa!.ExportParameters(false);
        return [("e", Base64Url.EncodeToString(r.Exponent)), ("kty", "RSA"), ("n", Base64Url.EncodeToString(r.Modulus))];
    }

    /// <summary>RFC 7638: SHA-256 over the required public members, sorted, without whitespace.</summary>
    private static string Thumbprint(List<(string Name, string Value)> members) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(WriteJson(writer =>
    {
        writer.WriteStartObject();
        foreach (var (name, value) in members)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }))));

    private static string WriteJson(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
