using System.Globalization;

namespace Herald.Client.Grpc;

/// <summary>
/// The address to dial for a gRPC interface URL, in each form cards write it: <c>http://host:port</c> (HTTP/2
/// without TLS), <c>https://host:port</c> (TLS), a bare <c>host:port</c> (what the @a2a-js SDK's server lists and
/// what gRPC clients dial) and gRPC's own name syntax <c>dns:host:port</c>, <c>dns:///host:port</c>,
/// <c>dns://resolver/host:port</c>. The last two carry no security, and are dialed as gRPC clients dial them by
/// default: without TLS (a card for a TLS service writes <c>https://</c>). They need a port.
/// </summary>
internal static class GrpcTarget
{
    private const string Dns = "dns:";

    public static bool TryParse(string? url, out Uri address)
    {
        address = null!;
        if (string.IsNullOrWhiteSpace(url))
        {
            return false;
        }

        var text = url.Trim();
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // Checked by scheme, not by Uri.TryCreate alone: "localhost:8080" parses as an absolute URI of scheme "localhost".
            if (Uri.TryCreate(text, UriKind.Absolute, out var given))
            {
                address = given;
                return true;
            }

            return false;
        }

        if (text.StartsWith(Dns, StringComparison.OrdinalIgnoreCase))
        {
            text = text[Dns.Length..];
            if (text.StartsWith("//", StringComparison.Ordinal))
            {
                // dns://[resolver]/host:port: the resolver is gRPC's business, the name follows it.
                var slash = text.IndexOf('/', 2);
                if (slash < 0)
                {
                    return false;
                }

                text = text[(slash + 1)..];
            }
        }

        return TryParseHostPort(text, out address);
    }

    /// <summary><c>host:port</c> or <c>[v6]:port</c>, nothing more, as plaintext HTTP/2.</summary>
    private static bool TryParseHostPort(string text, out Uri address)
    {
        address = null!;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || text.AsSpan(0, colon).IndexOfAny('/', '?', '#') >= 0 || text.AsSpan(0, colon).Contains('@')
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']')))
        {
            return false; // an IPv6 literal needs its brackets, or the port is ambiguous
        }

        if (Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            return false;
        }

        address = new UriBuilder(Uri.UriSchemeHttp, host.Trim('[', ']'), port).Uri;
        return true;
    }
}
