using System.Net;
using System.Net.Sockets;
using Herald.Protocol;

namespace Herald.Server.Push;

/// <summary>Resolves a webhook's host name to its addresses; injectable so tests can play a DNS that changes its answer.</summary>
internal delegate ValueTask<IPAddress[]> WebhookHostResolver(string host, CancellationToken cancellationToken);

/// <summary>
/// The SSRF guard of push notifications: which webhook URLs and addresses Herald may POST to. Only http(s) URLs with a
/// host; by default no loopback, private (RFC 1918, IPv6 ULA), link-local (with the cloud metadata address
/// 169.254.169.254), carrier-grade NAT, unspecified, multicast, broadcast or reserved address, in IPv4 form or embedded
/// in IPv6 (mapped, compatible, NAT64, 6to4), and no metadata or localhost host names. Entries of an allow-list (a host
/// name, an address or a CIDR range) admit what they name, for development and tests. Checked when a config is
/// registered (<see cref="ValidateAsync"/>) and again when a delivery connects (<see cref="PermittedAddressesAsync"/>,
/// used by the sender's connect callback, which connects only to an address checked there: a DNS answer that changed
/// since registration cannot send a delivery elsewhere).
/// </summary>
internal sealed class WebhookAddressPolicy : IWebhookUrlValidator
{
    private const string AllowHint = "webhooks to such addresses are refused unless allowed (herald serve --webhook-allow HOST|CIDR, HeraldOptions.WebhookAllow)";

    private static readonly (IPNetwork Network, string What)[] Forbidden =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified address (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT address (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (169.254.0.0/16, where cloud metadata services answer)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol assignment address (192.0.0.0/24)"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking address (198.18.0.0/15)"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved or broadcast address (240.0.0.0/4)"),
        (IPNetwork.Parse("::/128"), "the unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("100::/64"), "a discard-only address (100::/64)"),
        (IPNetwork.Parse("fc00::/7"), "a unique local address (fc00::/7)"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address (fe80::/10)"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address (fec0::/10)"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    /// <summary>IPv6 ranges that carry an IPv4 address in their last 32 bits (or, for 6to4, bits 16 to 48).</summary>
    private static readonly IPNetwork Ipv4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>Names that reach the machine itself or a cloud metadata service whatever DNS says.</summary>
    private static readonly HashSet<string> ForbiddenNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
        "metadata.azure.internal", "metadata.platformequinix.com",
    };

    private readonly HashSet<string> _allowedHosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> _allowedNetworks = [];
    private readonly WebhookHostResolver _resolve;

    /// <param name="allow">Allow-list entries: a host name, an IP address or a CIDR range (<c>10.0.0.0/8</c>, <c>fd00::/8</c>).</param>
    /// <param name="resolver">Resolves host names; the system DNS by default.</param>
    /// <exception cref="ArgumentException">An entry is empty or a malformed CIDR range.</exception>
    public WebhookAddressPolicy(IEnumerable<string>? allow = null, WebhookHostResolver? resolver = null)
    {
        foreach (var entry in allow ?? [])
        {
            switch (ParseAllowEntry(entry))
            {
                case (IPNetwork network, null):
                    _allowedNetworks.Add(network);
                    break;
                case (_, { } host):
                    _allowedHosts.Add(host);
                    break;
            }
        }

        _resolve = resolver ?? ((host, cancellationToken) => new ValueTask<IPAddress[]>(Dns.GetHostAddressesAsync(host, cancellationToken)));
    }

    /// <summary>
    /// Parses an allow-list entry: a CIDR range or an address (as a network), or a host name (lower-case, without a
    /// trailing dot).
    /// </summary>
    /// <exception cref="ArgumentException">Empty, or a malformed CIDR range.</exception>
    public static (IPNetwork Network, string? Host) ParseAllowEntry(string entry)
    {
        var text = entry?.Trim() ?? "";
        if (text.Length == 0)
        {
            throw new ArgumentException("A webhook allow-list entry is empty; give a host name, an IP address or a CIDR range (10.0.0.0/8).", nameof(entry));
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            // Bits past the prefix are a typo (10.0.0.1/8), not a range: refused rather than silently masked.
            return IPNetwork.TryParse(text, out var network) && IPAddress.TryParse(text[..text.IndexOf('/', StringComparison.Ordinal)], out var written)
                && written.Equals(network.BaseAddress)
                ? (Normalize(network), null)
                : throw new ArgumentException($"The webhook allow-list entry '{text}' is not a CIDR range (e.g. 10.0.0.0/8, fd00::/8); its prefix bits beyond the length must be zero.", nameof(entry));
        }

        var bare = text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;
        if (IPAddress.TryParse(bare, out var address))
        {
            address = Unmap(address);
            return (new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), null);
        }

        if (Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            throw new ArgumentException($"The webhook allow-list entry '{text}' is neither a host name, an IP address nor a CIDR range.", nameof(entry));
        }

        return (default, text.TrimEnd('.').ToLowerInvariant());
    }

    /// <summary>
    /// Checks a webhook URL when a config is registered: http(s), a host, no user info, and a host whose every address is
    /// permitted (or that the allow-list names).
    /// </summary>
    /// <exception cref="A2AException">Invalid params on field <c>url</c>, with the reason.</exception>
    public async Task ValidateAsync(string? url, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw Invalid("A push notification config needs a webhook url.");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw Invalid("The webhook url is not an absolute URL.");
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw Invalid($"The webhook url must be http or https; '{uri.Scheme}' URLs are refused.");
        }

        if (uri.IdnHost.Length == 0)
        {
            throw Invalid("The webhook url has no host.");
        }

        if (uri.UserInfo.Length > 0)
        {
            throw Invalid("The webhook url carries user info (user:password@); give credentials in the config's authentication instead.");
        }

        var host = HostOf(uri);
        if (await WhyRefusedAsync(host, cancellationToken).ConfigureAwait(false) is { } reason)
        {
            throw Invalid(reason);
        }
    }

    /// <summary>
    /// The addresses a delivery to <paramref name="host"/> may connect to: all of them when the allow-list names the host,
    /// else those that are permitted, in the resolver's order.
    /// </summary>
    /// <exception cref="WebhookBlockedException">No address is permitted (or the name is a forbidden one).</exception>
    /// <exception cref="SocketException">The host does not resolve.</exception>
    public ValueTask<IPAddress[]> PermittedAddressesAsync(string host, CancellationToken cancellationToken) =>
        CheckAsync(host, requireAll: false, cancellationToken);

    /// <summary>The host's addresses that may be connected to; with <paramref name="requireAll"/>, refused unless all may.</summary>
    private async ValueTask<IPAddress[]> CheckAsync(string host, bool requireAll, CancellationToken cancellationToken)
    {
        host = host.TrimEnd('.');
        var literal = IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : null;
        if (literal is null && _allowedHosts.Contains(host))
        {
            return await _resolve(host, cancellationToken).ConfigureAwait(false);
        }

        if (literal is null && ForbiddenName(host) is { } nameReason)
        {
            throw new WebhookBlockedException(nameReason);
        }

        var addresses = literal is not null ? [literal] : await _resolve(host, cancellationToken).ConfigureAwait(false);
        var permitted = addresses.Where(a => WhyForbidden(a) is null).ToArray();
        if (permitted.Length == 0 || (requireAll && permitted.Length < addresses.Length))
        {
            var first = addresses.FirstOrDefault(a => WhyForbidden(a) is not null);
            throw new WebhookBlockedException(first is null
                ? $"host '{host}' resolves to no address"
                : $"host '{host}' resolves to {first}, {WhyForbidden(first)}; {AllowHint}");
        }

        return permitted;
    }

    /// <summary>Why a delivery may not connect to <paramref name="address"/>, or null when it may.</summary>
    public string? WhyForbidden(IPAddress address)
    {
        address = Unmap(address);
        foreach (var network in _allowedNetworks)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return null;
            }
        }

        foreach (var (network, what) in Forbidden)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return what;
            }
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 && EmbeddedIpv4(address) is { } embedded && WhyForbidden(embedded) is { } inner
            ? $"{inner} embedded in an IPv6 address"
            : null;
    }

    private async Task<string?> WhyRefusedAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            await CheckAsync(host, requireAll: true, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (WebhookBlockedException ex)
        {
            return $"The webhook url is refused: {ex.Reason}.";
        }
        catch (SocketException)
        {
            return $"The webhook url's host '{host}' does not resolve.";
        }
    }

    /// <summary>The host as the connect callback sees it: the IDN (punycode) form, brackets removed from IPv6 literals.</summary>
    private static string HostOf(Uri uri) => uri.HostNameType == UriHostNameType.IPv6 ? uri.IdnHost.Trim('[', ']') : uri.IdnHost.TrimEnd('.');

    private static string? ForbiddenName(string host) =>
        ForbiddenNames.Contains(host) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            ? $"host '{host}' names the local machine or a cloud metadata service; {AllowHint}"
            : null;

    private static IPAddress? EmbeddedIpv4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (Ipv4Compatible.Contains(address) || Nat64.Contains(address))
        {
            // ::/96 also holds :: and ::1, which the IPv6 list names; their "IPv4" (0.0.0.0, 0.0.0.1) is forbidden too.
            return new IPAddress(bytes[12..]);
        }

        return SixToFour.Contains(address) ? new IPAddress(bytes[2..6]) : null;
    }

    private static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IPNetwork Normalize(IPNetwork network) =>
        network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96
            ? new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96)
            : network;

    private static A2AException Invalid(string message) => A2AException.InvalidParams("url", message);
}

/// <summary>The SSRF guard refused every address of a webhook's host when a delivery connected.</summary>
internal sealed class WebhookBlockedException(string reason) : Exception($"The webhook is blocked: {reason}.")
{
    public string Reason { get; } = reason;
}
