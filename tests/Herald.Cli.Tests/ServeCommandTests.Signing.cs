using System.Security.Cryptography;
using System.Text.Json;
using Herald.Protocol.Signing;

namespace Herald.Cli.Tests;

/// <summary><c>herald serve --sign-card</c> with <c>herald card --verify</c>, end to end.</summary>
public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task Serve_SignCard_HeraldCardVerifyAcceptsIt()
    {
        using var directory = new TempDirectory();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = Path.Combine(directory.Path, "card-key.pem");
        await File.WriteAllTextAsync(keyFile, ec.ExportECPrivateKeyPem());
        using var expected = AgentCardSigningKey.Create(ec);
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--sign-card", keyFile], output, new StringWriter(), stop.Token);
        var address = ParseStartupLine(await output.ReadLineAsync(Timeout), "echo");

        var text = await CliRun.RunAsync("card", address.ToString(), "--verify");
        var json = await CliRun.RunAsync("card", address.ToString(), "--verify", "--json");

        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"signature: verified (ES256, kid {expected.KeyId}, key from {new Uri(address, ".well-known/jwks.json")})", text.Lines.Select(l => l.Trim()));
        Assert.Equal(0, json.ExitCode);
        var signature = json.JsonLines[1].GetProperty("cardSignature");
        Assert.True(signature.GetProperty("verified").GetBoolean());
        Assert.Equal(expected.KeyId, signature.GetProperty("kid").GetString());
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Serve_SignCard_HeraldCardVerifyWithAnotherKeySetRefusesIt()
    {
        using var directory = new TempDirectory();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = Path.Combine(directory.Path, "card-key.pem");
        await File.WriteAllTextAsync(keyFile, ec.ExportECPrivateKeyPem());
        using var other = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var otherJwks = Path.Combine(directory.Path, "other.jwks.json");
        await File.WriteAllTextAsync(otherJwks, other.PublicJwks);
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--sign-card", keyFile], output, new StringWriter(), stop.Token);
        var address = ParseStartupLine(await output.ReadLineAsync(Timeout), "echo");

        var refused = await CliRun.RunAsync("card", address.ToString(), "--jwks", otherJwks);
        var plain = await CliRun.RunAsync("card", address.ToString());

        Assert.Equal(ExitCodes.CardNotVerified, refused.ExitCode);
        Assert.Contains("no trusted key has kid", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, plain.ExitCode); // without --verify the signature is not looked at
        Assert.DoesNotContain(plain.Lines, l => l.Contains("signature:", StringComparison.Ordinal));
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Serve_Unsigned_HeraldCardVerifyExitsCardNotVerified()
    {
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", "memory"], output, new StringWriter(), stop.Token);
        var address = ParseStartupLine(await output.ReadLineAsync(Timeout), "echo");

        var result = await CliRun.RunAsync("card", address.ToString(), "--verify");

        Assert.Equal(ExitCodes.CardNotVerified, result.ExitCode);
        Assert.Contains("is not signed", result.Error, StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
    }

    [Theory]
    [InlineData(null, "cannot sign the card with --sign-card")] // missing file
    [InlineData("not a key", "No private key found")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n", "No private key found")]
    public async Task Serve_SignCardUnusableKey_FailsWithTheReason(string? content, string expected)
    {
        using var directory = new TempDirectory();
        var keyFile = Path.Combine(directory.Path, "key.pem");
        if (content is not null)
        {
            await File.WriteAllTextAsync(keyFile, content);
        }

        var result = await CliRun.RunAsync("serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--sign-card", keyFile);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Contains(keyFile, result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }
}
