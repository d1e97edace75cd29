using Herald.AspNetCore;
using Herald.AspNetCore.JsonRpc;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// In the ASP.NET Core builder namespace, like MapGet and MapHub, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.AspNetCore.Builder;
#pragma warning restore IDE0130

/// <summary>Maps Herald's A2A endpoints.</summary>
public static class HeraldEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the A2A v1.0 JSON-RPC endpoint (POST <paramref name="pattern"/>, SSE for streaming methods)
    /// and the agent card at <c>{pattern}/.well-known/agent-card.json</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>services.AddHerald().AddAgent&lt;T&gt;()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapHerald(this IEndpointRouteBuilder endpoints, string pattern = "/")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var services = endpoints.ServiceProvider;
        var engine = services.GetService<IHeraldEngine>()
            ?? throw new InvalidOperationException("Herald's services are not registered. Call builder.Services.AddHerald().AddAgent<TAgent>() before app.MapHerald().");
        if (!engine.HasAgent)
        {
            throw new InvalidOperationException("No agent is registered. Call builder.Services.AddHerald().AddAgent<TAgent>() before app.MapHerald().");
        }

        var options = services.GetRequiredService<IOptions<HeraldOptions>>().Value;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<JsonRpcEndpoint>() ?? NullLogger<JsonRpcEndpoint>.Instance;
        var rpc = new JsonRpcEndpoint(engine, options, logger);
        var card = new AgentCardEndpoint(options, pattern, services.GetServices<IAgentInterfaceProvider>().ToArray());

        var group = endpoints.MapGroup(pattern);
        group.MapPost("", rpc.HandleAsync).WithDisplayName("A2A JSON-RPC");
        group.MapGet("/.well-known/agent-card.json", card.HandleAsync).WithDisplayName("A2A agent card");
        return group;
    }
}
