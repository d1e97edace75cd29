using System.Text.Json;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore;

/// <summary>
/// Serves the agent card. Interfaces default to this endpoint's absolute URL as the client reached it
/// (so a server on a dynamic port advertises the real one); capabilities always tell the truth about
/// what Herald serves, whatever the configured card says.
/// </summary>
internal sealed class AgentCardEndpoint(HeraldOptions options, string pattern, IEnumerable<IAgentInterfaceProvider> providers)
{
    public AgentCard BuildCard(HttpRequest request)
    {
        var configured = options.Card;
        var interfaces = configured.SupportedInterfaces;
        if (interfaces.Count == 0)
        {
            var path = (request.PathBase + new PathString(pattern == "/" ? "" : "/" + pattern.Trim('/'))).Value;
            var url = $"{request.Scheme}://{request.Host}{(string.IsNullOrEmpty(path) ? "/" : path)}";
            interfaces = [new AgentInterface { Url = url, ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" }, .. providers.SelectMany(p => p.GetInterfaces(request))];
        }

        return configured with
        {
            SupportedInterfaces = interfaces,
            Capabilities = configured.Capabilities with
            {
                Streaming = true,
                PushNotifications = false,
                ExtendedAgentCard = false,
            },
        };
    }

    public async Task HandleAsync(HttpContext context)
    {
        var card = BuildCard(context.Request);
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "public, max-age=60";
        await JsonSerializer.SerializeAsync(context.Response.Body, card, A2AJsonContext.Default.AgentCard, context.RequestAborted).ConfigureAwait(false);
    }
}
