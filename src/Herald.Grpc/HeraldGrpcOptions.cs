namespace Herald.Grpc;

/// <summary>Settings of the gRPC binding (<c>AddGrpc</c>). Request size is limited by <see cref="Herald.Server.HeraldOptions.MaxRequestBodyBytes"/>, as on every binding.</summary>
public sealed class HeraldGrpcOptions
{
    /// <summary>
    /// The URL the agent card gives for the gRPC interface, computed from the URL the card gives for
    /// <c>MapHerald</c>'s endpoint (which comes from configuration or the listening addresses, never from a
    /// client's <c>Host</c> header). Null, the default: that endpoint's scheme and authority, for gRPC served
    /// on the same endpoint (HTTP/2 over TLS, or an HTTP/2-only endpoint). Set it when gRPC listens
    /// elsewhere, e.g. on a second, HTTP/2-only port. A null or empty result leaves gRPC out of the card.
    /// </summary>
    public Func<Uri, string?>? InterfaceUrl { get; set; }

    /// <summary>List the gRPC interface in the agent card (after MapHerald's own). On by default.</summary>
    public bool ListInAgentCard { get; set; } = true;
}
