using Microsoft.AspNetCore.Http;

namespace Herald.Grpc;

/// <summary>Settings of the gRPC binding (<c>AddGrpc</c>). Request size is limited by <see cref="Herald.Server.HeraldOptions.MaxRequestBodyBytes"/>, as on every binding.</summary>
public sealed class HeraldGrpcOptions
{
    /// <summary>
    /// The URL the agent card gives for the gRPC interface, computed for each card request (its host tells
    /// which address the client used). Null, the default: the card request's own scheme and authority, for
    /// gRPC served on the same endpoint (HTTP/2 over TLS, or an HTTP/2-only endpoint). Set it when gRPC
    /// listens elsewhere, e.g. on a second, HTTP/2-only port. A null or empty result leaves gRPC out of the card.
    /// </summary>
    public Func<HttpRequest, string?>? InterfaceUrl { get; set; }

    /// <summary>List the gRPC interface in the agent card (after MapHerald's own). On by default.</summary>
    public bool ListInAgentCard { get; set; } = true;
}
