using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>The bindings this client implements (its own and those of <see cref="A2AClientOptions.Bindings"/>), and how to create them.</summary>
internal static class ProtocolBindings
{
    public const string JsonRpc = "JSONRPC";

    /// <summary>(binding, Major.Minor) pairs, for messages.</summary>
    public static readonly IReadOnlyList<string> Implemented = [$"{JsonRpc} {ProtocolVersions.V1}", $"{JsonRpc} {ProtocolVersions.V03}"];

    /// <summary>The built-in pairs and those of the configured factories, for messages.</summary>
    public static IReadOnlyList<string> ImplementedWith(A2AClientOptions? options) =>
        options is null || options.Bindings.Count == 0 ? Implemented : [.. Implemented, .. options.Bindings.Select(f => $"{f.ProtocolBinding} {ProtocolVersions.V1}")];

    /// <summary>JSON-RPC 1.0, and JSON-RPC 0.3 (which also serves cards declaring the wire-identical 0.2.x).</summary>
    public static bool IsImplemented(string binding, string normalizedVersion) =>
        string.Equals(binding, JsonRpc, StringComparison.OrdinalIgnoreCase)
        && (normalizedVersion == ProtocolVersions.V1 || IsV03(normalizedVersion));

    /// <summary>Built in, or offered by a factory of <paramref name="options"/>.</summary>
    public static bool IsImplemented(string binding, string normalizedVersion, A2AClientOptions? options) =>
        IsImplemented(binding, normalizedVersion) || FindFactory(binding, normalizedVersion, options) is not null;

    public static bool IsV03(string normalizedVersion) => normalizedVersion is ProtocolVersions.V03 or "0.2";

    public static IA2ABinding Create(HttpClient httpClient, AgentInterface agentInterface, A2AClientOptions options)
    {
        var version = ProtocolVersions.Normalize(agentInterface.ProtocolVersion);
        if (FindFactory(agentInterface.ProtocolBinding, version, options) is { } factory && !IsImplemented(agentInterface.ProtocolBinding, version))
        {
            return new ExternalBinding(factory.Create(httpClient, agentInterface, options));
        }

        if (!IsImplemented(agentInterface.ProtocolBinding, version))
        {
            throw new A2AVersionNotSupportedException(
                $"This client implements {string.Join(", ", ImplementedWith(options))}, not {agentInterface.ProtocolBinding} {version}.",
                options.ProtocolVersion, [$"{agentInterface.ProtocolBinding} {agentInterface.ProtocolVersion} {agentInterface.Url}"]);
        }

        if (!Uri.TryCreate(agentInterface.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The interface URL '{agentInterface.Url}' is not an absolute http(s) URL.", nameof(agentInterface));
        }

        return IsV03(version)
            ? new JsonRpcV03Binding(httpClient, url, options)
            : new JsonRpcV1Binding(httpClient, url, agentInterface.Tenant, options);
    }

    private static A2ABindingFactory? FindFactory(string binding, string normalizedVersion, A2AClientOptions? options) =>
        options?.Bindings.FirstOrDefault(f => string.Equals(f.ProtocolBinding, binding, StringComparison.OrdinalIgnoreCase) && f.SupportsVersion(normalizedVersion));
}
