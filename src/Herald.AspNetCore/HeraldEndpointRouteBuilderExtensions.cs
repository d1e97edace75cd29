using Herald.AspNetCore;
using Herald.AspNetCore.Card;
using Herald.AspNetCore.JsonRpc;
using Herald.AspNetCore.Rest;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting.Server;
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
    /// Maps the A2A JSON-RPC endpoint (POST <paramref name="pattern"/>, SSE for streaming methods), which speaks
    /// v1.0, v0.3 and the tutorial-era methods; the HTTP+JSON/REST routes of v1.0 under it
    /// (<c>{pattern}/message:send</c>, <c>{pattern}/tasks/{id}</c>, ...); and the agent card (both generations' members)
    /// at <c>{pattern}/.well-known/agent-card.json</c> and <c>{pattern}/.well-known/agent.json</c>, which lists them all.
    /// Authentication is ASP.NET Core's: call <c>RequireAuthorization()</c> on the returned builder to require it; the
    /// card stays open (anonymous) and declares the registered schemes it can describe (JwtBearer, <c>AddHeraldApiKeys</c>,
    /// Certificate) and which the endpoints require, unless <see cref="HeraldOptions.Card"/> declares its own.
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
        var rest = new RestOperations(engine, options, services.GetService<ILoggerFactory>()?.CreateLogger<RestOperations>() ?? NullLogger<RestOperations>.Instance);

        // Each binding contributes the interfaces it serves, in the order the card prefers them.
        List<CardInterface> interfaces =
        [
            new("JSONRPC", "1.0"),
            new("JSONRPC", "0.3"),
            new("HTTP+JSON", "1.0"), // Rest/RestRoutes, under the same path

            // The A2A 1.1 draft on the same endpoints (1.0 plus generations), after every 1.0 entry: a client that takes the
            // first entry of a binding gets 1.0, one that looks for 1.1 finds it.
            new("JSONRPC", "1.1"),
            new("HTTP+JSON", "1.1"),
        ];
        if (options.ExtendedCard is not null && (services.GetService<IOptions<AuthenticationOptions>>()?.Value.Schemes.Any() != true))
        {
            throw new InvalidOperationException("HeraldOptions.ExtendedCard is served to authenticated clients only, and no authentication scheme is registered. " +
                "Call builder.Services.AddAuthentication(...) with a scheme (AddJwtBearer, AddHeraldApiKeys, ...), or leave ExtendedCard unset.");
        }

        var security = new CardSecurity(services, extendedCard: options.ExtendedCard is not null);
        var card = new AgentCardEndpoint(options, pattern, interfaces, [.. services.GetServices<IAgentInterfaceProvider>()], services.GetService<IServer>(), security);

        var group = endpoints.MapGroup(pattern);
        group.WithMetadata(new ExtendedCardAccess(card, security));

        // The card tells what the JSON-RPC endpoint requires once the host's conventions (RequireAuthorization on the
        // returned group) have been applied: Finally runs after them.
        group.MapPost("", rpc.HandleAsync).WithDisplayName("A2A JSON-RPC").Finally(b => security.Observe(b.Metadata));

        // The card is how clients learn which credentials to send: it stays open whatever the rest requires. Marked only
        // when a convention gave it authorization (RequireAuthorization on the group) or a fallback policy would: the mark
        // alone, on a host without authorization, fails requests.
        foreach (var (path, name, handler) in new (string, string, Delegate)[]
        {
            ("/.well-known/agent-card.json", "A2A agent card", (RequestDelegate)card.HandleAsync),
            ("/.well-known/agent.json", "A2A agent card (v0.3 and earlier path)", (RequestDelegate)card.HandleAsync),
            ("/" + AgentCardSigner.JwksPath, "A2A agent card signing key (JWKS)", (Func<IResult>)card.HandleJwks),
        })
        {
            group.MapGet(path, handler).WithDisplayName(name).Finally(b =>
            {
                if (b.Metadata.Any(m => m is IAuthorizeData or AuthorizationPolicy) || CardSecurity.HasFallbackPolicy(services))
                {
                    b.Metadata.Add(new AllowAnonymousAttribute());
                }
            });
        }

        RestRoutes.Map(group, rest);
        return group;
    }
}
