using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>The bindings this client implements (its own and those of <see cref="A2AClientOptions.Bindings"/>), and how to create them.</summary>
internal static class ProtocolBindings
{
    public const string JsonRpc = "JSONRPC";
    public const string HttpJson = "HTTP+JSON";
    public const string Grpc = "GRPC";

    /// <summary>(binding, Major.Minor) pairs, for messages.</summary>
    public static readonly IReadOnlyList<string> Implemented =
        [$"{JsonRpc} {ProtocolVersions.V1}", $"{JsonRpc} {ProtocolVersions.V03}", $"{HttpJson} {ProtocolVersions.V1}"];

    /// <summary>The built-in pairs and those of the configured factories, for messages.</summary>
    public static IReadOnlyList<string> ImplementedWith(A2AClientOptions? options) =>
        options is null || options.Bindings.Count == 0 ? Implemented : [.. Implemented, .. options.Bindings.Select(f => $"{f.ProtocolBinding} {ProtocolVersions.V1}")];

    /// <summary>
    /// JSON-RPC 1.0 and 0.3 (which also serves cards declaring the wire-identical 0.2.x), HTTP+JSON 1.0 (v0.3's REST
    /// paths differ and are not spoken). Other bindings (gRPC) come from factories in <see cref="A2AClientOptions.Bindings"/>.
    /// </summary>
    public static bool IsImplemented(string binding, string normalizedVersion) =>
        (Is(binding, JsonRpc) && (normalizedVersion == ProtocolVersions.V1 || IsV03(normalizedVersion)))
        || (Is(binding, HttpJson) && normalizedVersion == ProtocolVersions.V1);

    /// <summary>Built in, or offered by a factory of <paramref name="options"/>.</summary>
    public static bool IsImplemented(string binding, string normalizedVersion, A2AClientOptions? options) =>
        IsImplemented(binding, normalizedVersion) || FindFactory(binding, normalizedVersion, options) is not null;

    public static bool IsV03(string normalizedVersion) => normalizedVersion is ProtocolVersions.V03 or "0.2";

    /// <summary>Binding names compare case-insensitively (cards in the wild write <c>jsonrpc</c>, <c>http+json</c>).</summary>
    public static bool Is(string? binding, string name) => string.Equals(binding, name, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The spec's name for a binding a person typed: <c>rest</c> and <c>http+json</c> → <c>HTTP+JSON</c>,
    /// <c>jsonrpc</c> and <c>json-rpc</c> → <c>JSONRPC</c>, <c>grpc</c> → <c>GRPC</c>; anything else as given.
    /// </summary>
    public static string Normalize(string binding) => binding.Trim().ToUpperInvariant() switch
    {
        "REST" or "HTTP+JSON" or "HTTP" or "HTTPJSON" => HttpJson,
        "JSONRPC" or "JSON-RPC" => JsonRpc,
        "GRPC" => Grpc,
        _ => binding.Trim(),
    };

    /// <summary>Why a GRPC interface cannot be used by a client without the gRPC binding factory.</summary>
    public static string GrpcNotAvailable => "the gRPC binding is not configured in this client (reference Herald.Client.Grpc and call AddGrpcBinding() on the options)";

    public static IA2ABinding Create(HttpClient httpClient, AgentInterface agentInterface, A2AClientOptions options)
    {
        var version = ProtocolVersions.Normalize(agentInterface.ProtocolVersion);
        if (FindFactory(agentInterface.ProtocolBinding, version, options) is { } factory && !IsImplemented(agentInterface.ProtocolBinding, version))
        {
            return new ExternalBinding(factory.Create(httpClient, agentInterface, options));
        }

        if (!IsImplemented(agentInterface.ProtocolBinding, version))
        {
            var why = Is(agentInterface.ProtocolBinding, Grpc) ? GrpcNotAvailable : $"this client implements {string.Join(", ", ImplementedWith(options))}";
            throw new A2AVersionNotSupportedException(
                $"Cannot use {agentInterface.ProtocolBinding} {version}: {why}.",
                options.ProtocolVersion, [$"{agentInterface.ProtocolBinding} {agentInterface.ProtocolVersion} {agentInterface.Url}"]);
        }

        if (!Uri.TryCreate(agentInterface.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The interface URL '{agentInterface.Url}' is not an absolute http(s) URL.", nameof(agentInterface));
        }

        if (Is(agentInterface.ProtocolBinding, HttpJson))
        {
            return new RestV1Binding(httpClient, url, agentInterface.Tenant, options);
        }

        return IsV03(version)
            ? new JsonRpcV03Binding(httpClient, url, options)
            : new JsonRpcV1Binding(httpClient, url, agentInterface.Tenant, options);
    }

    private static A2ABindingFactory? FindFactory(string binding, string normalizedVersion, A2AClientOptions? options) =>
        options?.Bindings.FirstOrDefault(f => string.Equals(f.ProtocolBinding, binding, StringComparison.OrdinalIgnoreCase) && f.SupportsVersion(normalizedVersion));
}
