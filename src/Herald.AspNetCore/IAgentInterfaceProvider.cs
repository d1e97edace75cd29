using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore;

/// <summary>
/// Lists, in the agent card, interfaces served apart from <c>MapHerald</c>'s endpoint (gRPC on its own
/// HTTP/2 port, a binding of your own). Register implementations as singletons; each card request asks
/// them, after <c>MapHerald</c>'s own interfaces, in registration order. Not consulted when
/// <see cref="Herald.Server.HeraldOptions.Card"/> lists its interfaces explicitly.
/// </summary>
public interface IAgentInterfaceProvider
{
    /// <summary>The interfaces to list for a card requested with <paramref name="request"/> (its host tells which address the client used).</summary>
    IEnumerable<AgentInterface> GetInterfaces(HttpRequest request);
}
