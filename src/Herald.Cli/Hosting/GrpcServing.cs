using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Herald.Cli.Commands;
using Herald.Grpc;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Cli.Hosting;

/// <summary>
/// <c>herald serve</c>'s gRPC endpoint: the A2AService on its own HTTP/2-only address (gRPC needs HTTP/2, which
/// without TLS a client can only use on a port that speaks nothing else), by default the first <c>--urls</c>
/// address with the port + 1 (port 0 stays 0: any free port). Every address is bound through Kestrel's own
/// endpoint configuration, so <c>--urls</c> keeps its usual forms (<c>localhost</c>, <c>*</c>, <c>https</c>).
/// The agent card lists the gRPC interface at the card's own host and the gRPC port (as <c>host:port</c>, the target gRPC
/// clients dial, or <c>https://host:port</c> for TLS: <see cref="HeraldGrpcOptions.CardUrl"/>), at <c>--grpc-public-url</c> when given,
/// and not at all behind a proxy (<c>--public-url</c>) without it.
/// </summary>
internal sealed partial class GrpcServing
{
    public const string Off = "off";

    private readonly List<(Uri Configured, ListenOptions Listener)> _listeners = [];

    private GrpcServing(IReadOnlyList<string> urls) => Urls = urls;

    /// <summary>The configured gRPC addresses, as Kestrel is given them.</summary>
    public IReadOnlyList<string> Urls { get; }

    public static Option<string?> CreateOption()
    {
        var option = new Option<string?>("--grpc-urls")
        {
            Description = "Address(es) of the A2A gRPC service (HTTP/2 only; https:// for TLS), separated by ';', or 'off'. " +
                "The agent card lists it as binding GRPC. [default: the first --urls address with the port + 1; port 0 picks a free port]",
            HelpName = "URL|off",
        };
        option.Validators.Add(result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            if (text is not null && !IsOff(text) && Parse(text) is null)
            {
                result.AddError($"--grpc-urls '{text}' is not a list of http:// or https:// addresses with a port, nor 'off'.");
            }
        });
        return option;
    }

    /// <summary>
    /// Binds the HTTP and gRPC addresses, and registers the gRPC binding; null when gRPC is off (the HTTP
    /// addresses are then bound as before).
    /// </summary>
    public static GrpcServing? Configure(WebApplicationBuilder builder, ServeSettings settings, IHeraldBuilder herald)
    {
        var grpcUrls = Resolve(settings.Urls, settings.GrpcUrls);
        if (grpcUrls.Count == 0)
        {
            builder.WebHost.UseUrls(settings.Urls);
            return null;
        }

        // Named endpoints: Kestrel binds them in name order (HTTP first) and lets the gRPC ones be HTTP/2 only.
        var serving = new GrpcServing(grpcUrls);
        var endpoints = new Dictionary<string, string?>();
        var httpUrls = Split(settings.Urls);
        for (var i = 0; i < httpUrls.Length; i++)
        {
            endpoints[$"Kestrel:Endpoints:Herald{i}:Url"] = httpUrls[i];
        }

        for (var i = 0; i < grpcUrls.Count; i++)
        {
            endpoints[$"Kestrel:Endpoints:HeraldGrpc{i}:Url"] = grpcUrls[i];
            endpoints[$"Kestrel:Endpoints:HeraldGrpc{i}:Protocols"] = nameof(HttpProtocols.Http2);
        }

        builder.Configuration.AddInMemoryCollection(endpoints);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var loader = kestrel.Configure(context.Configuration.GetSection("Kestrel"));
            for (var i = 0; i < grpcUrls.Count; i++)
            {
                var configured = ToUri(grpcUrls[i])!;
                loader.Endpoint($"HeraldGrpc{i}", endpoint => serving._listeners.Add((configured, endpoint.ListenOptions)));
            }
        });
        // Behind a proxy (--public-url) the listening address is not the public one: the card lists gRPC only at the
        // address the operator gives for it.
        herald.AddGrpc(o => o.InterfaceUrl = settings.GrpcPublicUrl is { } grpcPublic
            ? _ => grpcPublic.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : settings.PublicUrl is not null ? _ => null : serving.InterfaceUrl);
        builder.Services.AddSingleton(serving);
        return serving;
    }

    /// <summary>The startup line's addresses: the HTTP ones as Kestrel bound them, then each gRPC one as <c>grpc=URL</c>.</summary>
    public static string DescribeUrls(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<GrpcServing>() is not { } serving)
        {
            return string.Join(", ", app.Urls);
        }

        var grpcPorts = serving._listeners.Select(l => l.Listener.IPEndPoint?.Port).ToHashSet();
        var http = app.Urls.Where(u => !grpcPorts.Contains(Uri.TryCreate(u, UriKind.Absolute, out var url) ? url.Port : null));
        var grpc = serving._listeners.Select(l => "grpc=" + BoundUrl(l.Configured, l.Listener));
        return string.Join(", ", http.Concat(grpc));
    }

    /// <summary>
    /// The gRPC URL for a card whose HTTP endpoint is at <paramref name="endpointUrl"/>: that host (reachable the
    /// same way), unless gRPC is bound to one specific address on the other side of loopback; the bound port.
    /// </summary>
    private string? InterfaceUrl(Uri endpointUrl)
    {
        if (_listeners.Count == 0 || _listeners[0].Listener.IPEndPoint is not { } bound)
        {
            return null;
        }

        var configured = _listeners[0].Configured;
        var host = IsWildcard(configured.Host) || IsLoopback(configured.Host) == IsLoopback(endpointUrl.Host)
            ? endpointUrl.Host
            : configured.Host;
        return HeraldGrpcOptions.CardUrl(new UriBuilder(configured.Scheme, host, bound.Port).Uri);
    }

    /// <summary>
    /// The gRPC addresses: none for <c>off</c>, the given ones, or the first HTTP address as written (<c>*</c>,
    /// <c>localhost</c>, ...) with the port + 1 and no path.
    /// </summary>
    internal static IReadOnlyList<string> Resolve(string httpUrls, string? grpcUrls)
    {
        if (grpcUrls is not null)
        {
            return IsOff(grpcUrls) ? [] : Parse(grpcUrls) is not null ? Split(grpcUrls) : throw new ArgumentException($"'{grpcUrls}' is not a list of http(s) addresses.", nameof(grpcUrls));
        }

        var first = Split(httpUrls).FirstOrDefault();
        var match = first is null || ToUri(first) is null ? null : PortAndPath().Match(first);
        if (match is not { Success: true })
        {
            return [];
        }

        var port = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
        return [first![..match.Index] + ":" + (port == 0 ? 0 : port + 1).ToString(CultureInfo.InvariantCulture)];
    }

    private static List<Uri>? Parse(string text)
    {
        var urls = new List<Uri>();
        foreach (var part in Split(text))
        {
            if (ToUri(part) is not { } url)
            {
                return null;
            }

            urls.Add(url);
        }

        return urls.Count == 0 ? null : urls;
    }

    /// <summary>An http(s) address with an explicit port; Kestrel's wildcards <c>*</c> and <c>+</c> read as 0.0.0.0.</summary>
    private static Uri? ToUri(string text)
    {
        var normalized = text.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var url)
            && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            && PortAndPath().IsMatch(normalized)
            ? url
            : null;
    }

    /// <summary>The explicit port of an address (and the path after it, if any).</summary>
    [GeneratedRegex(@":(?<port>[0-9]{1,5})(?:/.*)?$")]
    private static partial Regex PortAndPath();

    /// <summary>As Kestrel shows an address: the configured scheme and host, the port it bound.</summary>
    private static string BoundUrl(Uri configured, ListenOptions listener) =>
        $"{configured.Scheme}://{configured.Host}:{listener.IPEndPoint?.Port ?? configured.Port}";

    private static bool IsWildcard(string host) => host is "0.0.0.0" or "[::]" or "::";

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static bool IsOff(string text) => string.Equals(text.Trim(), Off, StringComparison.OrdinalIgnoreCase);

    private static string[] Split(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
