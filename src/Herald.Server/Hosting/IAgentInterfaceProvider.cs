using Herald.Protocol;

namespace Herald.Server.Hosting;

/// <summary>
/// Lists, in the agent card, interfaces served apart from <c>MapHerald</c>'s endpoint (gRPC on its own
/// HTTP/2 port, a binding of your own). Register implementations as singletons; each card is built with
/// <c>MapHerald</c>'s own interfaces first, then these, in registration order. Not consulted when
/// <see cref="Herald.Server.HeraldOptions.Card"/> lists its interfaces explicitly.
/// </summary>
/// <remarks>
/// A provider sees the endpoint URL the card advertises, never the request: that URL comes from
/// <see cref="Herald.Server.HeraldOptions.PublicBaseUrl"/> or the server's listening addresses, not from a
/// client's <c>Host</c> header, and the card built on it is cached and may be shared. Return the same
/// interfaces for the same URL. It lives here, beside the engine, so that a binding package (Herald.Grpc) can
/// offer its interface without depending on the one that serves the card (Herald.AspNetCore).
/// </remarks>
public interface IAgentInterfaceProvider
{
    /// <summary>The interfaces to list in a card whose <c>MapHerald</c> endpoint is at <paramref name="endpointUrl"/>.</summary>
    IEnumerable<AgentInterface> GetInterfaces(Uri endpointUrl);
}
