using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Card;

/// <summary>
/// Where clients reach this server, for the URLs in the agent card. A request's <c>Host</c> header is the
/// client's to choose: copied into a card that a proxy caches, it would send every later client to a host an
/// attacker named. So the address comes from configuration (<see cref="Server.HeraldOptions.PublicBaseUrl"/>), or
/// from the addresses the server listens on: the request's host only when it is one of them, the connection's
/// local address when the server listens on every interface, else the first address it listens on.
/// </summary>
internal static class CardAddress
{
    /// <summary>The origin (<c>scheme://host:port</c>, plus the configured base path if any) and whether a shared cache may keep a card built on it.</summary>
    /// <param name="context">The card request.</param>
    /// <param name="publicBaseUrl">The configured public address, if any.</param>
    /// <param name="addresses">The server's listening addresses; null for an in-process server that has none.</param>
    public static (string Origin, bool Shareable) Resolve(HttpContext context, Uri? publicBaseUrl, IServerAddressesFeature? addresses)
    {
        if (publicBaseUrl is not null)
        {
            return (publicBaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/'), true);
        }

        var request = context.Request;
        var listening = Parse(addresses?.Addresses);
        if (listening.Count == 0)
        {
            // No network address at all (an in-process test server): the request's host is all there is; no shared cache.
            return ($"{request.Scheme}://{request.Host}", false);
        }

        var scheme = request.Scheme;
        var requestPort = request.Host.Port ?? DefaultPort(scheme);
        foreach (var address in listening)
        {
            if (address.Scheme == scheme && address.Port == requestPort && string.Equals(address.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase))
            {
                return (Origin(scheme, address.Host, address.Port), true);
            }
        }

        // Listening on every interface: the address this connection reached is the server's own, and reachable by this client.
        if (context.Connection.LocalIpAddress is { } local && listening.Any(a => a.IsWildcard && a.Scheme == scheme && a.Port == context.Connection.LocalPort))
        {
            return (Origin(scheme, FormatHost(local), context.Connection.LocalPort), false);
        }

        var chosen = listening.Where(a => !a.IsWildcard).OrderBy(a => a.Scheme == scheme ? 0 : 1).FirstOrDefault()
            ?? listening[0] with { Host = "localhost" };
        return (Origin(chosen.Scheme, chosen.Host, chosen.Port), true);
    }

    /// <summary>Kestrel's addresses (<c>http://127.0.0.1:5077</c>, <c>http://[::]:80</c>, <c>http://+:80</c>, ...); others (unix sockets) are skipped.</summary>
    internal static List<ListeningAddress> Parse(ICollection<string>? addresses)
    {
        var parsed = new List<ListeningAddress>();
        foreach (var address in addresses ?? [])
        {
            var separator = address.IndexOf("://", StringComparison.Ordinal);
            if (separator <= 0)
            {
                continue;
            }

            var scheme = address[..separator].ToLowerInvariant();
            var rest = address[(separator + 3)..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                rest = rest[..slash];
            }

            var colon = rest.StartsWith('[') ? rest.IndexOf("]:", StringComparison.Ordinal) + 1 : rest.LastIndexOf(':');
            string host;
            int port;
            if (colon <= 0)
            {
                host = rest;
                port = DefaultPort(scheme);
            }
            else if (int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
            {
                host = rest[..colon];
            }
            else
            {
                continue;
            }

            if (host.Length > 0)
            {
                parsed.Add(new ListeningAddress(scheme, host, port));
            }
        }

        return parsed;
    }

    private static string Origin(string scheme, string host, int port) =>
        port == DefaultPort(scheme) ? $"{scheme}://{host}" : $"{scheme}://{host}:{port.ToString(CultureInfo.InvariantCulture)}";

    private static string FormatHost(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }

    private static int DefaultPort(string scheme) => scheme == "https" ? 443 : 80;

    internal sealed record ListeningAddress(string Scheme, string Host, int Port)
    {
        public bool IsWildcard => Host is "0.0.0.0" or "[::]" or "*" or "+";
    }
}
