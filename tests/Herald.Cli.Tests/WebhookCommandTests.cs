using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Protocol;
using Herald.Protocol.Signing;
using Herald.Server;
using Herald.Server.Push;

namespace Herald.Cli.Tests;

/// <summary><c>herald webhook</c> receiving deliveries from Herald's own webhook sender, with and without signatures.</summary>
public sealed partial class WebhookCommandTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly byte[] Working = Encoding.UTF8.GetBytes(
        """{"statusUpdate":{"taskId":"task-1","contextId":"ctx-1","status":{"state":"TASK_STATE_WORKING","message":{"messageId":"m-1","role":"ROLE_AGENT","parts":[{"text":"thinking hard"}]}}}}""");

    private static readonly byte[] Chunk = Encoding.UTF8.GetBytes(
        """{"artifactUpdate":{"taskId":"task-1","contextId":"ctx-1","artifact":{"artifactId":"a-1","name":"out","parts":[{"text":"hello world"}]}}}""");

    private readonly List<(CancellationTokenSource Stop, Task<int> Run)> _runs = [];
    private readonly TempDirectory _directory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (stop, run) in _runs)
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(Timeout));
            stop.Dispose();
        }
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Webhook_DeliveriesFromTheSender_OneLineEachAndDuplicatesDropped()
    {
        var (url, lines) = await StartAsync("webhook", "--urls", "http://127.0.0.1:0");
        using var sender = Sender();

        var first = await sender.SendAsync(Delivery(url, 3, Working), CancellationToken.None).WaitAsync(Timeout);
        var firstLine = await lines.ReadLineAsync(Timeout);
        var second = await sender.SendAsync(Delivery(url, 4, Chunk), CancellationToken.None).WaitAsync(Timeout);
        var secondLine = await lines.ReadLineAsync(Timeout);
        var again = await sender.SendAsync(Delivery(url, 3, Working), CancellationToken.None).WaitAsync(Timeout);
        var againLine = await lines.ReadLineAsync(Timeout);

        Assert.Equal(WebhookOutcome.Delivered, first.Outcome);
        Assert.Equal("task task-1 #3 status working: thinking hard", firstLine);
        Assert.Equal(WebhookOutcome.Delivered, second.Outcome);
        Assert.Equal("task task-1 #4 artifact out: hello world", secondLine);
        Assert.Equal(WebhookOutcome.Delivered, again.Outcome); // a duplicate is acknowledged, so the sender moves on
        Assert.Equal("task task-1 #3 duplicate (already received; dropped)", againLine);
    }

    [Fact]
    public async Task Webhook_Json_OneJsonLinePerDeliveryWithSequenceAndStreamResponse()
    {
        var (url, lines) = await StartAsync("webhook", "--urls", "http://127.0.0.1:0", "--json");
        using var sender = Sender();

        await sender.SendAsync(Delivery(url, 4, Chunk), CancellationToken.None).WaitAsync(Timeout);
        var line = CliRun.Parse(await lines.ReadLineAsync(Timeout));
        await sender.SendAsync(Delivery(url, 4, Chunk), CancellationToken.None).WaitAsync(Timeout);
        var duplicate = CliRun.Parse(await lines.ReadLineAsync(Timeout));

        Assert.Equal("task-1", line.GetProperty("taskId").GetString());
        Assert.Equal(4, line.GetProperty("sequence").GetInt64());
        Assert.Equal("artifactUpdate", line.GetProperty("kind").GetString());
        Assert.False(line.GetProperty("duplicate").GetBoolean());
        Assert.False(line.TryGetProperty("signature", out _));
        Assert.Equal("hello world", line.GetProperty("response").GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.True(duplicate.GetProperty("duplicate").GetBoolean());
    }

    [Fact]
    public async Task Webhook_JwksOfTheServer_VerifiesSignedDeliveriesAndRefusesOthersWith401()
    {
        // herald serve signs its card with one key and deliveries with another; its JWKS serves both.
        using var cardEc = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var pushEc = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cardPem = Path.Combine(_directory.Path, "card.pem");
        var pushPem = Path.Combine(_directory.Path, "push.pem");
        await File.WriteAllTextAsync(cardPem, cardEc.ExportECPrivateKeyPem());
        await File.WriteAllTextAsync(pushPem, pushEc.ExportECPrivateKeyPem());
        var (server, _) = await StartAsync("serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--sign-card", cardPem, "--push-signing-key", pushPem);
        var jwksUrl = new Uri(server, ".well-known/jwks.json").AbsoluteUri;
        using var http = new HttpClient();
        var served = JsonDocument.Parse(await http.GetStringAsync(jwksUrl)).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        using var cardKey = AgentCardSigningKey.Create(cardEc);
        using var pushKey = AgentCardSigningKey.Create(pushEc);
        Assert.Equal([cardKey.KeyId, pushKey.KeyId], served);

        var (url, lines) = await StartAsync("webhook", "--urls", "http://127.0.0.1:0", "--jwks", jwksUrl);
        using var signed = Sender(pushKey);
        using var impostorKey = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), pushKey.KeyId);
        using var impostor = Sender(impostorKey);
        using var unsigned = Sender();

        var good = await signed.SendAsync(Delivery(url, 5, Working), CancellationToken.None).WaitAsync(Timeout);
        var goodLine = await lines.ReadLineAsync(Timeout);
        var forged = await impostor.SendAsync(Delivery(url, 6, Working), CancellationToken.None).WaitAsync(Timeout);
        var forgedLine = await lines.ReadLineAsync(Timeout);
        var bare = await unsigned.SendAsync(Delivery(url, 7, Working), CancellationToken.None).WaitAsync(Timeout);
        var bareLine = await lines.ReadLineAsync(Timeout);

        // A genuine signature over another body (the body was changed on the way).
        var jwt = PushNotificationSignature.Create(pushKey, new PushSignatureClaims { TaskId = "task-1", Sequence = 8 }, Working, DateTimeOffset.UtcNow);
        using var tampered = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(Chunk) };
        tampered.Content.Headers.ContentType = new MediaTypeHeaderValue("application/a2a+json");
        tampered.Headers.Add(PushNotificationHeaders.Signature, jwt);
        tampered.Headers.Add(PushNotificationHeaders.TaskId, "task-1");
        tampered.Headers.Add(PushNotificationHeaders.EventSequence, "8");
        using var tamperedResponse = await http.SendAsync(tampered).WaitAsync(Timeout);
        var tamperedLine = await lines.ReadLineAsync(Timeout);

        Assert.Equal(WebhookOutcome.Delivered, good.Outcome);
        Assert.Equal("task task-1 #5 status working: thinking hard [signature verified]", goodLine);
        Assert.Equal(WebhookOutcome.Refused, forged.Outcome);
        Assert.Equal(401, forged.StatusCode);
        Assert.StartsWith("task task-1 #6 refused: signature not verified: the ES256 signature by key", forgedLine, StringComparison.Ordinal);
        Assert.Equal(401, bare.StatusCode);
        Assert.Equal("task task-1 #7 refused: signature not verified: no Herald-Push-Signature header", bareLine);
        Assert.Equal(401, (int)tamperedResponse.StatusCode);
        Assert.Equal("task task-1 #8 refused: signature not verified: the body is not the one signed (request_body_sha256 differs)", tamperedLine);
    }

    [Fact]
    public async Task Serve_PushSigningKeyOnly_JwksServesItAndTheCardStaysUnsigned()
    {
        using var pushEc = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pushPem = Path.Combine(_directory.Path, "push-only.pem");
        await File.WriteAllTextAsync(pushPem, pushEc.ExportECPrivateKeyPem());
        using var pushKey = AgentCardSigningKey.Create(pushEc);
        var (server, _) = await StartAsync("serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--push-signing-key", pushPem);
        using var http = new HttpClient();

        using var jwks = JsonDocument.Parse(await http.GetStringAsync(new Uri(server, ".well-known/jwks.json")));
        using var card = JsonDocument.Parse(await http.GetStringAsync(new Uri(server, ".well-known/agent-card.json")));

        var key = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal(pushKey.KeyId, key.GetProperty("kid").GetString());
        Assert.False(key.TryGetProperty("d", out _)); // never the private part
        Assert.False(card.RootElement.TryGetProperty("signatures", out _));
    }

    [Fact]
    public async Task Webhook_JsonWithJwks_SaysVerified()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var jwks = Path.Combine(_directory.Path, "jwks.json");
        await File.WriteAllTextAsync(jwks, key.PublicJwks);
        var (url, lines) = await StartAsync("webhook", "--urls", "http://127.0.0.1:0", "--json", "--jwks", jwks);
        using var sender = Sender(key);

        await sender.SendAsync(Delivery(url, 9, Working), CancellationToken.None).WaitAsync(Timeout);
        var line = CliRun.Parse(await lines.ReadLineAsync(Timeout));

        Assert.Equal("verified", line.GetProperty("signature").GetString());
        Assert.Equal(9, line.GetProperty("sequence").GetInt64());
        Assert.Equal("TASK_STATE_WORKING", line.GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Webhook_JwksNeitherUrlNorFile_RefusedAtParse()
    {
        var run = await CliRun.RunAsync("webhook", "--jwks", Path.Combine(_directory.Path, "missing.json"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("is neither an http(s) URL nor a readable file", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WebhookAllowMalformed_ExitsWithTheReason()
    {
        var run = await CliRun.RunAsync("serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--webhook-allow", "10.0.0.0/33");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("WebhookAllow (--webhook-allow): The webhook allow-list entry '10.0.0.0/33' is not a CIDR range", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal); // no stack trace
    }

    private static WebhookSender Sender(AgentCardSigningKey? key = null) =>
        new(new WebhookAddressPolicy(["127.0.0.1"]), new HeraldOptions { PushSigningKey = key });

    private static WebhookDelivery Delivery(Uri url, long sequence, byte[] body) => new(new Uri(url, "hook").AbsoluteUri, "cfg-1", "task-1", sequence, body, "tok");

    /// <summary>Runs a long-lived herald command and returns the address its startup line names, and its further output.</summary>
    private async Task<(Uri Address, LineWriter Lines)> StartAsync(params string[] args)
    {
        var output = new LineWriter();
        var stop = new CancellationTokenSource();
        _runs.Add((stop, HeraldCli.RunAsync(args, output, new StringWriter(), stop.Token)));
        var startup = await output.ReadLineAsync(Timeout);
        var match = ListeningOn().Match(startup);
        Assert.True(match.Success, $"unexpected startup line: {startup}");
        return (new Uri(match.Groups[1].Value.TrimEnd('/') + "/"), output);
    }

    [GeneratedRegex(@"listening on (http://[^\s,]+)")]
    private static partial Regex ListeningOn();
}
