using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Testing;

/// <summary>
/// A tiny Kestrel app that misbehaves on demand: serves a card at <c>/.well-known/agent-card.json</c>
/// pointing at <c>/rpc</c>, and hands every JSON-RPC request to the test's handler.
/// </summary>
public sealed class FakeAgentServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private FakeAgentServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<RpcCall> Calls { get; } = new();

    /// <summary>Replaces the card body (null: a v1.0 card pointing at /rpc).</summary>
    public string? CardJson { get; set; }

    public int CardStatus { get; set; } = 200;

    public string CardContentType { get; set; } = "application/json";

    public static async Task<FakeAgentServer> StartAsync(Func<HttpContext, RpcCall, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeAgentServer(app);
        app.MapGet("/.well-known/agent-card.json", server.ServeCardAsync);
        app.MapPost("/rpc", async context =>
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            var root = document.RootElement;
            var call = new RpcCall(
                root.GetProperty("method").GetString()!,
                root.GetProperty("id").Clone(),
                root.TryGetProperty("params", out var p) ? p.Clone() : default,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), // Kestrel reuses the live collection
                Interlocked.Increment(ref server._count));
            server.Calls.Enqueue(call);
            await handler(context, call);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri($"http://127.0.0.1:{new Uri(address).Port}/");
        return server;
    }

    public Uri RpcUrl => new(BaseUrl, "rpc");

    private async Task ServeCardAsync(HttpContext context)
    {
        context.Response.StatusCode = CardStatus;
        context.Response.ContentType = CardContentType;
        var body = CardJson ?? $$"""
            {"name":"Fake","description":"A fake agent","version":"1.0.0",
             "supportedInterfaces":[{"url":"{{RpcUrl}}","protocolBinding":"JSONRPC","protocolVersion":"1.0"}],
             "capabilities":{"streaming":true},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"skills":[]}
            """;
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
