using System.Net;
using System.Net.Sockets;
using Herald.Protocol;
using Herald.Server.Push;

namespace Herald.Server.Tests.Push;

/// <summary>The SSRF guard at registration: what it refuses by default, with which reason, and what the allow-list admits.</summary>
public sealed class WebhookAddressPolicyTests
{
    private static readonly WebhookHostResolver PublicDns = (host, _) => host switch
    {
        "hooks.example.com" => ValueTask.FromResult(new[] { IPAddress.Parse("93.184.216.34") }),
        "private.example.com" => ValueTask.FromResult(new[] { IPAddress.Parse("10.0.0.5") }),
        "mixed.example.com" => ValueTask.FromResult(new[] { IPAddress.Parse("93.184.216.34"), IPAddress.Parse("169.254.169.254") }),
        "localhost" or "hooks.dev" => ValueTask.FromResult(new[] { IPAddress.Loopback }),
        _ => ValueTask.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)),
    };

    [Theory]
    [InlineData("http://127.0.0.1/hook", "a loopback address")]
    [InlineData("http://127.8.9.10:8080/", "a loopback address")]
    [InlineData("http://2130706433/", "a loopback address")] // 127.0.0.1 written as one number
    [InlineData("http://[::1]/hook", "a loopback address")]
    [InlineData("http://localhost:5000/", "names the local machine")]
    [InlineData("http://api.localhost/", "names the local machine")]
    [InlineData("http://10.1.2.3/", "a private address (RFC 1918)")]
    [InlineData("http://172.16.0.1/", "a private address (RFC 1918)")]
    [InlineData("http://172.31.255.254/", "a private address (RFC 1918)")]
    [InlineData("https://192.168.1.1/", "a private address (RFC 1918)")]
    [InlineData("http://[fd00::1]/", "a unique local address")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "a link-local address (169.254.0.0/16")]
    [InlineData("http://[fe80::1]/", "a link-local address (fe80::/10)")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", "a cloud metadata service")]
    [InlineData("http://METADATA.google.internal./", "a cloud metadata service")]
    [InlineData("http://[::ffff:127.0.0.1]/", "a loopback address")]
    [InlineData("http://[::ffff:169.254.169.254]/", "a link-local address")]
    [InlineData("http://[::ffff:10.0.0.1]/", "a private address")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/", "a link-local address (169.254.0.0/16, where cloud metadata services answer) embedded in an IPv6 address")]
    [InlineData("http://[2002:7f00:1::]/", "a loopback address embedded in an IPv6 address")]
    [InlineData("http://0.0.0.0/", "an unspecified address")]
    [InlineData("http://[::]/", "the unspecified address")]
    [InlineData("http://100.64.0.1/", "a carrier-grade NAT address")]
    [InlineData("http://224.0.0.1/", "a multicast address")]
    [InlineData("http://[ff02::1]/", "a multicast address")]
    [InlineData("http://255.255.255.255/", "a reserved or broadcast address")]
    [InlineData("http://private.example.com/hook", "host 'private.example.com' resolves to 10.0.0.5, a private address (RFC 1918)")]
    public async Task ValidateAsync_ForbiddenAddress_InvalidParamsOnUrlWithTheReason(string url, string reason)
    {
        var policy = new WebhookAddressPolicy(resolver: PublicDns);

        var error = await Assert.ThrowsAsync<A2AException>(() => policy.ValidateAsync(url, CancellationToken.None));

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("url", error.Field);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("--webhook-allow", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://hooks.example.com/", "must be http or https; 'ftp'")]
    [InlineData("file:///etc/passwd", "must be http or https; 'file'")]
    [InlineData("gopher://hooks.example.com:70/", "must be http or https")]
    [InlineData("/relative/hook", "must be http or https")] // an absolute file path on Unix
    [InlineData("hooks.example.com/hook", "not an absolute URL")]
    [InlineData("", "needs a webhook url")]
    [InlineData("http://user:pw@hooks.example.com/", "user info")]
    [InlineData("http://nowhere.invalid/", "host 'nowhere.invalid' does not resolve")]
    public async Task ValidateAsync_NotAUsableHttpUrl_InvalidParamsOnUrl(string url, string reason)
    {
        var policy = new WebhookAddressPolicy(resolver: PublicDns);

        var error = await Assert.ThrowsAsync<A2AException>(() => policy.ValidateAsync(url, CancellationToken.None));

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("url", error.Field);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_NameWithAForbiddenAddressAmongPublicOnes_Refused()
    {
        // At registration every address must be permitted; at delivery only permitted ones are connected to.
        var policy = new WebhookAddressPolicy(resolver: PublicDns);

        var error = await Assert.ThrowsAsync<A2AException>(() => policy.ValidateAsync("https://mixed.example.com/hook", CancellationToken.None));
        var permitted = await policy.PermittedAddressesAsync("mixed.example.com", CancellationToken.None);

        Assert.Contains("169.254.169.254", error.Message, StringComparison.Ordinal);
        Assert.Equal([IPAddress.Parse("93.184.216.34")], permitted);
    }

    [Theory]
    [InlineData("https://hooks.example.com/a2a?k=v")]
    [InlineData("http://93.184.216.34:8080/")]
    [InlineData("http://[2606:2800:220:1:248:1893:25c8:1946]/")]
    public async Task ValidateAsync_PublicAddress_Accepted(string url)
    {
        var policy = new WebhookAddressPolicy(resolver: PublicDns);

        await policy.ValidateAsync(url, CancellationToken.None);
    }

    [Theory]
    [InlineData("127.0.0.1", "http://127.0.0.1:5000/hook")]
    [InlineData("127.0.0.0/8", "http://127.3.4.5/")]
    [InlineData("::1", "http://[::1]:5000/")]
    [InlineData("127.0.0.1", "http://[::ffff:127.0.0.1]/")]
    [InlineData("10.0.0.0/8", "http://10.20.30.40/")]
    [InlineData("10.0.0.0/8", "http://private.example.com/")]
    [InlineData("localhost", "http://localhost:8080/")]
    [InlineData("hooks.dev", "http://hooks.dev/")]
    [InlineData("fd00::/8", "http://[fd12::1]/")]
    public async Task ValidateAsync_AllowListed_Accepted(string allow, string url)
    {
        var policy = new WebhookAddressPolicy([allow], PublicDns);

        await policy.ValidateAsync(url, CancellationToken.None);
    }

    [Theory]
    [InlineData("127.0.0.1", "http://127.0.0.2/")]
    [InlineData("10.0.0.0/8", "http://192.168.1.1/")]
    [InlineData("10.0.0.0/8", "http://169.254.169.254/")]
    [InlineData("localhost", "http://metadata.google.internal/")]
    public async Task ValidateAsync_AllowListNamesSomethingElse_StillRefused(string allow, string url)
    {
        var policy = new WebhookAddressPolicy([allow], PublicDns);

        await Assert.ThrowsAsync<A2AException>(() => policy.ValidateAsync(url, CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.1/8")] // bits past the prefix
    [InlineData("10.0.0.0/33")]
    [InlineData("not a host")]
    public void Constructor_MalformedAllowEntry_ArgumentException(string entry) =>
        Assert.Throws<ArgumentException>(() => new WebhookAddressPolicy([entry]));

    [Fact]
    public void Validator_MalformedAllowEntry_FailsWithTheSettingName()
    {
        var result = new Herald.Server.Hosting.HeraldOptionsValidator().Validate(null, new HeraldOptions { WebhookAllow = ["10.0.0.0/33"] });

        Assert.True(result.Failed);
        Assert.Contains("WebhookAllow (--webhook-allow): The webhook allow-list entry '10.0.0.0/33'", result.FailureMessage, StringComparison.Ordinal);
    }
}
