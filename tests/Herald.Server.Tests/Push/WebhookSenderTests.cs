using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Herald.Protocol;
using Herald.Protocol.Signing;
using Herald.Server.Push;
using Microsoft.AspNetCore.Http;

namespace Herald.Server.Tests.Push;

/// <summary>The push transport against real Kestrel webhooks on 127.0.0.1 (admitted by the allow-list).</summary>
public sealed class WebhookSenderTests : IAsyncLifetime
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"statusUpdate":{"taskId":"task-1","contextId":"ctx-1","status":{"state":"TASK_STATE_WORKING"}}}""");

    private readonly List<IAsyncDisposable> _disposables = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task SendAsync_2xx_DeliveredWithSpecHeadersAndBody()
    {
        var receiver = await StartReceiverAsync();
        receiver.Respond = context => { context.Response.StatusCode = 204; return Task.CompletedTask; };
        using var sender = Sender();
        var delivery = new WebhookDelivery(new Uri(receiver.Url, "hook?x=1").AbsoluteUri, "cfg-1", "task-1", 7, Body, "tok-123",
            new AuthenticationInfo { Scheme = "Bearer", Credentials = "push-secret" });

        var result = await sender.SendAsync(delivery, CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Delivered, result.Outcome);
        Assert.Equal(204, result.StatusCode);
        var request = Assert.Single(receiver.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook?x=1", request.PathAndQuery);
        Assert.Equal("application/a2a+json", request.Header("Content-Type"));
        Assert.Equal("Bearer push-secret", request.Header("Authorization"));
        Assert.Equal("tok-123", request.Header("X-A2A-Notification-Token"));
        Assert.Equal("tok-123", request.Header("A2A-Notification-Token"));
        Assert.Equal("7", request.Header("Herald-Event-Sequence"));
        Assert.Equal("task-1", request.Header("Herald-Task-Id"));
        Assert.Equal("cfg-1", request.Header("Herald-Push-Config-Id"));
        Assert.Equal("1.0", request.Header("A2A-Version"));
        Assert.Null(request.Header(PushNotificationHeaders.Signature)); // no key, no signature
        Assert.Equal(Body, request.Body);
    }

    [Fact]
    public async Task SendAsync_NoTokenNorAuthentication_SendsNeitherHeader()
    {
        var receiver = await StartReceiverAsync();
        using var sender = Sender();

        var result = await sender.SendAsync(new WebhookDelivery(receiver.Url.AbsoluteUri, "cfg-1", "task-1", 1, Body), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Delivered, result.Outcome);
        var request = Assert.Single(receiver.Requests);
        Assert.Null(request.Header("Authorization"));
        Assert.Null(request.Header("X-A2A-Notification-Token"));
        Assert.Null(request.Header("A2A-Notification-Token"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(408)]
    [InlineData(429)]
    public async Task SendAsync_TransientStatus_RetryLater(int status)
    {
        var receiver = await StartReceiverAsync();
        receiver.Respond = context => { context.Response.StatusCode = status; return Task.CompletedTask; };
        using var sender = Sender();

        var result = await sender.SendAsync(Delivery(receiver), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.RetryLater, result.Outcome);
        Assert.Equal(status, result.StatusCode);
        Assert.Null(result.RetryAfter);
    }

    [Fact]
    public async Task SendAsync_429WithRetryAfter_RetryLaterAfterThatDelay()
    {
        var receiver = await StartReceiverAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = "7";
            return Task.CompletedTask;
        };
        using var sender = Sender();

        var result = await sender.SendAsync(Delivery(receiver), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.RetryLater, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(410)]
    public async Task SendAsync_Other4xx_RefusedWithTheAnswerInTheReason(int status)
    {
        var receiver = await StartReceiverAsync();
        receiver.Respond = async context =>
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsync("nope: unknown subscriber");
        };
        using var sender = Sender();

        var result = await sender.SendAsync(Delivery(receiver), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Refused, result.Outcome);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal($"HTTP {status}: nope: unknown subscriber", result.Reason);
    }

    [Fact]
    public async Task SendAsync_WebhookEchoesTheSecrets_ReasonDoesNotCarryThem()
    {
        var receiver = await StartReceiverAsync();
        receiver.Respond = async context =>
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsync($"bad credentials {context.Request.Headers.Authorization} {context.Request.Headers["X-A2A-Notification-Token"]}");
        };
        using var sender = Sender();
        var delivery = Delivery(receiver) with { Token = "tok-very-secret", Authentication = new AuthenticationInfo { Scheme = "Bearer", Credentials = "cred-very-secret" } };

        var result = await sender.SendAsync(delivery, CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Refused, result.Outcome);
        Assert.Contains("bad credentials", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret", delivery.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_CredentialsWithLineBreak_RefusedWithoutSendingOrEchoing()
    {
        var receiver = await StartReceiverAsync();
        using var sender = Sender();
        var delivery = Delivery(receiver) with { Authentication = new AuthenticationInfo { Scheme = "Bearer", Credentials = "x\r\nX-Injected: secret-1" } };

        var result = await sender.SendAsync(delivery, CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Refused, result.Outcome);
        Assert.Null(result.StatusCode);
        Assert.DoesNotContain("secret-1", result.Reason, StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task SendAsync_NoAnswerWithinTimeout_RetryLater()
    {
        var receiver = await StartReceiverAsync();
        var never = Bounded.NewSignal();
        receiver.Respond = context => never.Task.WaitAsync(context.RequestAborted);
        using var sender = Sender(timeout: TimeSpan.FromMilliseconds(300));

        var result = await sender.SendAsync(Delivery(receiver), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.RetryLater, result.Outcome);
        Assert.Null(result.StatusCode);
        Assert.Equal("no answer within 0.3 s", result.Reason);
        Assert.Single(receiver.Requests); // it did reach the webhook
    }

    [Fact]
    public async Task SendAsync_CallerCancels_Throws()
    {
        var receiver = await StartReceiverAsync();
        var never = Bounded.NewSignal();
        receiver.Respond = context => never.Task.WaitAsync(context.RequestAborted);
        using var sender = Sender();
        using var cts = new CancellationTokenSource();

        var send = sender.SendAsync(Delivery(receiver), cts.Token);
        await receiver.FirstRequest.Task.Within();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.Within());
    }

    [Fact]
    public async Task SendAsync_ConnectionRefused_RetryLater()
    {
        using var sender = Sender();
        var port = ClosedPort();

        var result = await sender.SendAsync(new WebhookDelivery($"http://127.0.0.1:{port}/hook", "cfg-1", "task-1", 1, Body), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.RetryLater, result.Outcome);
        Assert.Null(result.StatusCode);
        Assert.Contains("ConnectionError", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_RedirectToAnotherAddress_NotFollowed()
    {
        var target = await StartReceiverAsync();
        var receiver = await StartReceiverAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = new Uri(target.Url, "stolen").AbsoluteUri;
            return Task.CompletedTask;
        };
        using var sender = Sender();

        var result = await sender.SendAsync(Delivery(receiver), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Refused, result.Outcome);
        Assert.Equal(302, result.StatusCode);
        Assert.Contains("redirects are not followed", result.Reason, StringComparison.Ordinal);
        Assert.Single(receiver.Requests);
        Assert.Empty(target.Requests);
    }

    [Fact]
    public async Task SendAsync_HugeAnswer_ReadOnlyUpToTheCap()
    {
        // A raw socket, not Kestrel: Kestrel may drop writes silently once the peer is gone, a socket's send fails.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        const long Huge = 256L * 1024 * 1024; // far more than socket buffers hold: the writer can finish only if it is all read
        var written = 0L;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte[64 * 1024];
            var seen = new StringBuilder();
            while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                seen.Append(Encoding.ASCII.GetString(request, 0, await stream.ReadAsync(request)));
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {Huge}\r\n\r\n"));
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            try
            {
                while (written < Huge)
                {
                    await stream.WriteAsync(chunk);
                    written += chunk.Length;
                }

                return true;
            }
            catch (IOException)
            {
                return false;
            }
        });
        using var sender = Sender();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await sender.SendAsync(new WebhookDelivery($"http://127.0.0.1:{port}/hook", "cfg-1", "task-1", 1, Body), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.RetryLater, result.Outcome);
        Assert.Equal(500, result.StatusCode);
        Assert.True(result.Reason.Length < 300, $"the reason quotes {result.Reason.Length} chars");
        Assert.False(await server.Within()); // the sender hung up instead of reading it all
        Assert.True(written < Huge);
    }

    [Fact]
    public async Task SendAsync_NameResolvingToLoopbackAtDelivery_BlockedWithoutConnecting()
    {
        // Registration saw a public address; by delivery time the name points at the machine itself (DNS rebinding).
        var receiver = await StartReceiverAsync();
        var answers = new Queue<IPAddress>([IPAddress.Parse("93.184.216.34"), IPAddress.Loopback]);
        var policy = new WebhookAddressPolicy(resolver: (_, _) => ValueTask.FromResult(new[] { answers.Dequeue() }));
        var url = $"http://rebound.example:{receiver.Url.Port}/hook";
        await policy.ValidateAsync(url, CancellationToken.None).Within();
        using var sender = new WebhookSender(policy, new HeraldOptions());

        var result = await sender.SendAsync(new WebhookDelivery(url, "cfg-1", "task-1", 1, Body), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Blocked, result.Outcome);
        Assert.Contains("resolves to 127.0.0.1, a loopback address", result.Reason, StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task SendAsync_LoopbackLiteralNotAllowed_Blocked()
    {
        var receiver = await StartReceiverAsync();
        using var sender = new WebhookSender(new WebhookAddressPolicy(), new HeraldOptions());

        var result = await sender.SendAsync(Delivery(receiver), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Blocked, result.Outcome);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task SendAsync_NameAllowedByCidr_ConnectsToTheResolvedAddress()
    {
        var receiver = await StartReceiverAsync();
        var policy = new WebhookAddressPolicy(["127.0.0.0/8"], (host, _) => ValueTask.FromResult(host == "hooks.example" ? new[] { IPAddress.Loopback } : []));
        using var sender = new WebhookSender(policy, new HeraldOptions());

        var result = await sender.SendAsync(new WebhookDelivery($"http://hooks.example:{receiver.Url.Port}/in", "cfg-1", "task-1", 3, Body), CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Delivered, result.Outcome);
        Assert.Equal("hooks.example:" + receiver.Url.Port, Assert.Single(receiver.Requests).Header("Host"));
    }

    [Fact]
    public async Task SendAsync_WithSigningKey_JwtVerifiesAgainstTheJwksAndBindsTheDelivery()
    {
        var receiver = await StartReceiverAsync();
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var sender = Sender(options: new HeraldOptions { PushSigningKey = key, PublicBaseUrl = new Uri("https://agent.example/") });
        var delivery = Delivery(receiver) with { Sequence = 42 };

        var result = await sender.SendAsync(delivery, CancellationToken.None).Within();

        Assert.Equal(WebhookOutcome.Delivered, result.Outcome);
        var request = Assert.Single(receiver.Requests);
        var jwt = request.Header(PushNotificationHeaders.Signature)!;
        var check = PushNotificationSignature.Verify(jwt, request.Body, key.PublicJwks, DateTimeOffset.UtcNow);
        Assert.True(check.Verified, check.Reason);
        Assert.Equal(key.KeyId, check.KeyId);
        Assert.Equal("task-1", check.Claims!.TaskId);
        Assert.Equal(42, check.Claims.Sequence);
        Assert.Equal("cfg-1", check.Claims.ConfigId);
        Assert.Equal("https://agent.example/", check.Claims.Issuer);
        Assert.Equal(delivery.Url, check.Claims.Audience);
    }

    [Fact]
    public async Task SendAsync_CardKeyOnly_SignsWithTheCardKey()
    {
        var receiver = await StartReceiverAsync();
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var sender = Sender(options: new HeraldOptions { CardSigningKey = key });

        await sender.SendAsync(Delivery(receiver), CancellationToken.None).Within();

        var request = Assert.Single(receiver.Requests);
        Assert.True(PushNotificationSignature.Verify(request.Header(PushNotificationHeaders.Signature)!, request.Body, key.PublicJwks, DateTimeOffset.UtcNow).Verified);
    }

    private static WebhookSender Sender(TimeSpan? timeout = null, HeraldOptions? options = null)
    {
        options ??= new HeraldOptions();
        if (timeout is { } t)
        {
            options.WebhookTimeout = t;
        }

        return new WebhookSender(new WebhookAddressPolicy(["127.0.0.1"]), options);
    }

    private static WebhookDelivery Delivery(WebhookReceiver receiver) => new(new Uri(receiver.Url, "hook").AbsoluteUri, "cfg-1", "task-1", 1, Body);

    private async Task<WebhookReceiver> StartReceiverAsync()
    {
        var receiver = await WebhookReceiver.StartAsync();
        _disposables.Add(receiver);
        return receiver;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
