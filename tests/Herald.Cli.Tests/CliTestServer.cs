using System.Collections.Concurrent;
using Herald.Cli.Agents;
using Herald.Protocol;
using Herald.Server.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Cli.Tests;

/// <summary>
/// Herald's real server on 127.0.0.1 (port 0) with <see cref="ScriptedAgent"/> at <c>/</c>, for the client
/// verbs to talk to. With <see cref="RequiredHeader"/>, every request without that header gets 401.
/// </summary>
public sealed class CliTestServer : IAsyncLifetime
{
    public const string RequiredHeader = "X-Test-Key";
    public const string RequiredValue = "secret";

    private readonly bool _requireHeader;
    private WebApplication? _app;

    public CliTestServer()
        : this(requireHeader: false)
    {
    }

    private CliTestServer(bool requireHeader) => _requireHeader = requireHeader;

    /// <summary>The agent's base URL, e.g. <c>http://127.0.0.1:5123/</c>.</summary>
    public string Url { get; private set; } = "";

    public static CliTestServer WithRequiredHeader() => new(requireHeader: true);

    /// <summary>A server whose card sends clients to <paramref name="publicBaseUrl"/> (a proxy in front of it).</summary>
    public static CliTestServer Behind(Uri publicBaseUrl) => new(requireHeader: false) { PublicBaseUrl = publicBaseUrl };

    /// <summary>The port the server listens on.</summary>
    public int Port => new Uri(Url).Port;

    private Uri? PublicBaseUrl { get; init; }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHerald(o =>
        {
            o.Card = new AgentCard { Name = "CLI test agent", Description = "Scripted for the herald CLI tests.", Capabilities = new AgentCapabilities { Streaming = true } };
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
            o.PublicBaseUrl = PublicBaseUrl;
        }).AddAgent(new ScriptedAgent(), Herald.Server.Agents.AgentResponseMode.MessageOrTask);
        _app = builder.Build();
        if (_requireHeader)
        {
            _app.Use(async (context, next) =>
            {
                if (context.Request.Headers[RequiredHeader] != RequiredValue)
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }

                await next(context);
            });
        }

        _app.MapHerald("/");
        await _app.StartAsync();
        Url = new Uri(_app.Urls.First()).ToString();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// A <see cref="CliTestServer"/> reached through a <see cref="CuttingProxy"/>. The server's card names the proxy
/// (<c>PublicBaseUrl</c>), as it would name a load balancer: it does not take URLs from the Host header, so without
/// it a client that reads the card would go around the proxy.
/// </summary>
public sealed class ProxiedCliTestServer : IAsyncLifetime
{
    private CliTestServer? _server;

    public ProxiedCliTestServer() => Proxy = new CuttingProxy(() => _server?.Port ?? throw new InvalidOperationException("The server is not started."));

    internal CuttingProxy Proxy { get; }

    /// <summary>The agent's base URL through the proxy.</summary>
    public string Url => $"http://127.0.0.1:{Proxy.Port}/";

    public async Task InitializeAsync()
    {
        var server = CliTestServer.Behind(new Uri(Url));
        await server.InitializeAsync();
        _server = server;
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// Ends the task as the message says: <c>fail</c>, <c>reject</c>, <c>input</c>, <c>auth</c>, <c>wait</c> (works
/// until canceled), <c>hello</c> (a direct reply, no task), <c>gate KEY</c> (one chunk, then waits for
/// <see cref="Open"/>(KEY), then a second chunk); anything else is the chunks demo agent (<c>N delay=MS</c>).
/// </summary>
internal sealed class ScriptedAgent : IAgent
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    public static void Open(string key) => Gate(key).TrySetResult();

    private static TaskCompletionSource Gate(string key) =>
        Gates.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (context.UserText.StartsWith("gate ", StringComparison.Ordinal))
        {
            await context.StartWorkAsync("gated", cancellationToken);
            await context.AppendTextAsync("out", "before the cut\n", cancellationToken: cancellationToken);
            await Gate(context.UserText["gate ".Length..]).Task.WaitAsync(cancellationToken);
            await context.AppendTextAsync("out", "after the cut\n", lastChunk: true, cancellationToken: cancellationToken);
            return;
        }

        switch (context.UserText)
        {
            case "fail":
                await context.StartWorkAsync("trying", cancellationToken);
                await context.FailAsync("it broke", cancellationToken);
                break;
            case "reject":
                await context.RejectAsync("will not do that", cancellationToken);
                break;
            case "input":
                await context.RequireInputAsync("which one?", cancellationToken);
                break;
            case "auth":
                await context.RequireAuthAsync("sign in first", cancellationToken);
                break;
            case "wait":
                await context.StartWorkAsync("waiting to be canceled", cancellationToken);
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
            case "hello":
                await context.ReplyAsync("hello to you", cancellationToken);
                break;
            default:
                await new ChunksAgent(TimeProvider.System).ExecuteAsync(context, cancellationToken);
                break;
        }
    }
}
