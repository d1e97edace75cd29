namespace Herald.Grpc;

/// <summary>Settings of the gRPC binding (<c>AddGrpc</c>). Request size is limited by <see cref="Herald.Server.HeraldOptions.MaxRequestBodyBytes"/>, as on every binding.</summary>
public sealed class HeraldGrpcOptions
{
    /// <summary>
    /// The URL the agent card gives for the gRPC interface, computed from the URL the card gives for
    /// <c>MapHerald</c>'s endpoint (which comes from configuration or the listening addresses, never from a
    /// client's <c>Host</c> header). Null, the default: that endpoint's authority in the form of
    /// <see cref="CardUrl"/>, for gRPC served on the same endpoint (HTTP/2 over TLS, or an HTTP/2-only
    /// endpoint). Set it when gRPC listens elsewhere, e.g. on a second, HTTP/2-only port; the result is listed
    /// as returned. A null or empty result leaves gRPC out of the card.
    /// </summary>
    public Func<Uri, string?>? InterfaceUrl { get; set; }

    /// <summary>
    /// How the card gives the gRPC service at <paramref name="address"/>: a bare <c>host:port</c> when it is
    /// served without TLS (<c>http</c>), the target gRPC clients dial (grpc-js and so the @a2a-js SDK, Python's
    /// <c>grpc.insecure_channel</c>, grpc-go), which take an <c>http://</c> URL for a DNS name and fail; and
    /// <c>https://host:port</c> over TLS, since a bare target cannot say TLS and those clients would dial it without.
    /// </summary>
    public static string CardUrl(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{address}' is not an absolute http or https URL.", nameof(address));
        }

        var authority = $"{address.Host}:{address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return address.Scheme == Uri.UriSchemeHttps ? $"https://{authority}" : authority;
    }

    /// <summary>List the gRPC interface in the agent card (after MapHerald's own). On by default.</summary>
    public bool ListInAgentCard { get; set; } = true;
}
