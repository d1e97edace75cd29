using System.Net;
using Herald.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Client.Tests.Infrastructure;

/// <summary>Herald's real server on 127.0.0.1 (dynamic port) with <see cref="TestAgent"/> at <c>/a2a</c>.</summary>
public sealed class HeraldServer : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>The agent URL, e.g. <c>http://127.0.0.1:5123/a2a</c>.</summary>
    public Uri AgentUrl { get; private set; } = null!;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHerald(o =>
        {
            o.Card = new AgentCard { Name = "Test agent", Description = "Driven by the client tests." };
            o.KeepAliveInterval = TimeSpan.FromSeconds(5);
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        }).AddAgent(new TestAgent(), Herald.Server.Agents.AgentResponseMode.MessageOrTask);
        _app = builder.Build();
        _app.MapHerald("/a2a");
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        AgentUrl = new Uri($"http://127.0.0.1:{Port}/a2a");
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
