using System.Collections.Concurrent;
using System.Net;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;
using Herald.Testing;

namespace Herald.Client.Tests;

/// <summary><see cref="A2AClientOptions.AccessTokenProvider"/>: a token per request, one refresh and retry on 401.</summary>
public sealed class AccessTokenTests(HeraldServer server) : IClassFixture<HeraldServer>
{
    /// <summary>Stands for an authenticating server in front of Herald: only <c>Bearer {Accepted}</c> passes; the card is open.</summary>
    private sealed class Gatekeeper() : DelegatingHandler(new SocketsHttpHandler())
    {
        public string Accepted { get; set; } = "fresh";

        public ConcurrentQueue<(string Path, string? Authorization, HttpStatusCode Status)> Seen { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var authorization = request.Headers.Authorization?.ToString();
            if (!request.RequestUri!.AbsolutePath.Contains(".well-known", StringComparison.Ordinal) && authorization != "Bearer " + Accepted)
            {
                Seen.Enqueue((request.RequestUri.AbsolutePath, authorization, HttpStatusCode.Unauthorized));
                var refused = new HttpResponseMessage(HttpStatusCode.Unauthorized) { RequestMessage = request };
                refused.Headers.WwwAuthenticate.Add(new("Bearer"));
                return refused;
            }

            Seen.Enqueue((request.RequestUri.AbsolutePath, authorization, HttpStatusCode.OK));
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class Tokens
    {
        private string _current = "stale";

        public ConcurrentQueue<AccessTokenRequest> Calls { get; } = new();

        public ValueTask<string?> GetAsync(AccessTokenRequest request, CancellationToken cancellationToken)
        {
            Calls.Enqueue(request);
            if (request.Refresh)
            {
                _current = "fresh";
            }

            return ValueTask.FromResult<string?>(_current);
        }
    }

    [Theory]
    [InlineData("JSONRPC")]
    [InlineData("HTTP+JSON")]
    public async Task Provider_CalledPerRequest_RefreshedOnceOn401(string binding)
    {
        using var gate = new Gatekeeper();
        using var http = new HttpClient(gate);
        var tokens = new Tokens();
        var client = A2AClient.Create(http, server.AgentUrl, new A2AClientOptions { ProtocolBinding = binding, AccessTokenProvider = tokens.GetAsync });

        var sent = await client.SendMessageAsync(Message.UserText("chunks:1")).Within();
        var task = await client.GetTaskAsync(sent.Task!.Id).Within();

        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal([false, true, false], tokens.Calls.Select(c => c.Refresh));
        Assert.All(tokens.Calls, c => Assert.StartsWith(server.AgentUrl.GetLeftPart(UriPartial.Authority), c.RequestUri.ToString(), StringComparison.Ordinal));
        var seen = gate.Seen.ToArray();
        Assert.Null(seen[0].Authorization); // the public card: no token asked for, none sent
        Assert.Equal([("Bearer stale", HttpStatusCode.Unauthorized), ("Bearer fresh", HttpStatusCode.OK), ("Bearer fresh", HttpStatusCode.OK)], seen[1..].Select(s => (s.Authorization, s.Status)));
    }

    [Fact]
    public async Task Provider_StreamOpenRefused_RefreshedAndOpened()
    {
        using var gate = new Gatekeeper();
        using var http = new HttpClient(gate);
        var tokens = new Tokens();
        var client = A2AClient.Create(http, server.AgentUrl, new A2AClientOptions { AccessTokenProvider = tokens.GetAsync });

        var events = 0;
        await foreach (var _ in client.SendStreamingMessageAsync(Message.UserText("chunks:2")).WithCancellation(CancellationToken.None))
        {
            events++;
        }

        Assert.True(events > 0);
        Assert.Equal([false, true], tokens.Calls.Select(c => c.Refresh));
    }

    [Fact]
    public async Task Provider_RefreshedTokenAlsoRefused_RetriedOnlyOnceThen401()
    {
        using var gate = new Gatekeeper { Accepted = "never" };
        using var http = new HttpClient(gate);
        var tokens = new Tokens();
        var client = A2AClient.Create(http, server.AgentUrl, new A2AClientOptions { AccessTokenProvider = tokens.GetAsync });

        var error = await Assert.ThrowsAsync<A2AHttpException>(() => client.GetTaskAsync("any")).Within();

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal([false, true], tokens.Calls.Select(c => c.Refresh));
        Assert.Equal(2, gate.Seen.Count(s => s.Status == HttpStatusCode.Unauthorized));
    }
}
