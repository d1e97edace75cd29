using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Protocol.Signing;

namespace Herald.Protocol.Tests.Signing;

public sealed class AgentCardSigningKeyTests
{
    private static readonly byte[] Card = Encoding.UTF8.GetBytes("""{"name":"A","description":"d","signatures":[{"protected":"x","signature":"y"}],"skills":[]}""");

    [Fact]
    public void FromPem_OpensslEcparamOutput_ReadsTheKeyAndSignsEs256()
    {
        // What `openssl ecparam -genkey -name prime256v1` writes without -noout: the curve's parameters, then the key.
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + ec.ExportECPrivateKeyPem();

        using var key = AgentCardSigningKey.FromPem(pem);
        var signature = key.Sign(Card);

        Assert.Equal("ES256", key.Algorithm);
        Assert.True(ec.VerifyData(AgentCardSigning.SigningInput(signature.Protected, AgentCardSigning.CanonicalPayload(Card)),
            Base64Url.DecodeFromChars(signature.Signature), HashAlgorithmName.SHA256));
    }

    [Fact]
    public void FromPem_Pkcs8RsaKey_SignsRs256()
    {
        using var rsa = RSA.Create(2048);

        using var key = AgentCardSigningKey.FromPem(rsa.ExportPkcs8PrivateKeyPem(), "rsa-1");
        var signature = key.Sign(Card);

        Assert.Equal("RS256", key.Algorithm);
        Assert.Equal("rsa-1", key.KeyId);
        Assert.True(rsa.VerifyData(AgentCardSigning.SigningInput(signature.Protected, AgentCardSigning.CanonicalPayload(Card)),
            Base64Url.DecodeFromChars(signature.Signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void FromPem_KeyOnP384_RefusedNamingTheCurve()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var error = Assert.Throws<ArgumentException>(() => AgentCardSigningKey.FromPem(ec.ExportECPrivateKeyPem()));

        Assert.Contains("P-256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPem_EncryptedKey_RefusedAsEncrypted()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = ec.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));

        var error = Assert.Throws<ArgumentException>(() => AgentCardSigningKey.FromPem(pem));

        Assert.Contains("encrypted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_ProtectedHeader_HasAlgTypKidJkuAndThePayloadExcludesSignatures()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), "key-1");

        var signature = key.Sign(Card, new Uri("https://example.com/agent/jwks.json"));

        Assert.Equal("""{"alg":"ES256","typ":"JOSE","kid":"key-1","jku":"https://example.com/agent/jwks.json"}""",
            Encoding.UTF8.GetString(Base64Url.DecodeFromChars(signature.Protected)));
        Assert.Equal("""{"description":"d","name":"A","skills":[]}""", Encoding.UTF8.GetString(AgentCardSigning.CanonicalPayload(Card)));
    }

    [Fact]
    public void KeyId_Default_IsTheRfc7638Thumbprint()
    {
        // RFC 7638 3.1's example key and thumbprint.
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Base64Url.DecodeFromChars("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"),
            Exponent = Base64Url.DecodeFromChars("AQAB"),
        });

        using var key = AgentCardSigningKey.Create(rsa);

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", key.KeyId);
    }

    [Fact]
    public void PublicJwks_EcKey_HasNoPrivateMember()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));

        using var jwks = JsonDocument.Parse(key.PublicJwks);
        var jwk = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray());

        Assert.False(jwk.TryGetProperty("d", out _));
        Assert.Equal(key.KeyId, jwk.GetProperty("kid").GetString());
        Assert.Equal("P-256", jwk.GetProperty("crv").GetString());
    }
}
