using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Herald.Protocol.Signing;

namespace Herald.Protocol.Tests.Signing;

/// <summary>Push delivery JWTs: what a receiver accepts, and every tampering it must refuse.</summary>
public sealed class PushNotificationSignatureTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"statusUpdate":{"taskId":"t-1","contextId":"c-1","status":{"state":"TASK_STATE_COMPLETED"}}}""");
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 10, 0, 0, TimeSpan.Zero);
    private static readonly PushSignatureClaims Claims = new() { TaskId = "t-1", Sequence = 5, ConfigId = "cfg", Issuer = "https://agent.example/", Audience = "https://hooks.example/in" };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Verify_Untouched_VerifiedWithTheClaims(bool ec)
    {
        using var key = ec ? AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256)) : AgentCardSigningKey.Create(RSA.Create(2048));
        var jwt = PushNotificationSignature.Create(key, Claims, Body, Now);

        var check = PushNotificationSignature.Verify(jwt, Body, key.PublicJwks, Now.AddSeconds(30));

        Assert.True(check.Verified, check.Reason);
        Assert.Equal(key.KeyId, check.KeyId);
        Assert.Equal(Claims, check.Claims);
        var header = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(jwt.Split('.')[0]));
        Assert.Equal($$"""{"alg":"{{key.Algorithm}}","typ":"JWT","kid":"{{key.KeyId}}"}""", header);
    }

    [Fact]
    public void Verify_BodyChanged_NotVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var jwt = PushNotificationSignature.Create(key, Claims, Body, Now);
        var tampered = Body.ToArray();
        tampered[^5] ^= 1;

        var check = PushNotificationSignature.Verify(jwt, tampered, key.PublicJwks, Now);

        Assert.False(check.Verified);
        Assert.Contains("request_body_sha256 differs", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ClaimsChanged_NotVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var parts = PushNotificationSignature.Create(key, Claims, Body, Now).Split('.');
        var claims = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"sequence\":5", "\"sequence\":6", StringComparison.Ordinal);
        var forged = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims)) + "." + parts[2];

        var check = PushNotificationSignature.Verify(forged, Body, key.PublicJwks, Now);

        Assert.False(check.Verified);
        Assert.Contains("does not verify", check.Reason, StringComparison.Ordinal);
        Assert.Null(check.Claims);
    }

    [Fact]
    public void Verify_SignatureChanged_NotVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var jwt = PushNotificationSignature.Create(key, Claims, Body, Now);
        var signature = Base64Url.DecodeFromChars(jwt.Split('.')[2]);
        signature[0] ^= 0x80;
        var forged = jwt[..(jwt.LastIndexOf('.') + 1)] + Base64Url.EncodeToString(signature);

        Assert.False(PushNotificationSignature.Verify(forged, Body, key.PublicJwks, Now).Verified);
    }

    [Fact]
    public void Verify_SignedByAnotherKeyWithTheSameKid_NotVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), "k1");
        using var impostor = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), "k1");
        var jwt = PushNotificationSignature.Create(impostor, Claims, Body, Now);

        Assert.False(PushNotificationSignature.Verify(jwt, Body, key.PublicJwks, Now).Verified);
    }

    [Fact]
    public void Verify_UnknownKid_NotVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var other = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var jwt = PushNotificationSignature.Create(other, Claims, Body, Now);

        var check = PushNotificationSignature.Verify(jwt, Body, key.PublicJwks, Now);

        Assert.False(check.Verified);
        Assert.Contains($"no key in the JWKS has kid '{other.KeyId}'", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_Expired_NotVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var jwt = PushNotificationSignature.Create(key, Claims, Body, Now, TimeSpan.FromMinutes(5));

        Assert.True(PushNotificationSignature.Verify(jwt, Body, key.PublicJwks, Now.AddMinutes(5).AddSeconds(59)).Verified); // within the skew
        var late = PushNotificationSignature.Verify(jwt, Body, key.PublicJwks, Now.AddMinutes(7));
        Assert.False(late.Verified);
        Assert.Contains("expired", late.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_AlgNone_NotVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var parts = PushNotificationSignature.Create(key, Claims, Body, Now).Split('.');
        var none = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"none","kid":"{{key.KeyId}}"}"""));

        var check = PushNotificationSignature.Verify(none + "." + parts[1] + ".", Body, key.PublicJwks, Now);

        Assert.False(check.Verified);
        Assert.Contains("'none' is not accepted", check.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("!!.??.**")]
    public void Verify_NotAJws_NotVerified(string jwt)
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));

        Assert.False(PushNotificationSignature.Verify(jwt, Body, key.PublicJwks, Now).Verified);
    }
}
