using Herald.Client.Bindings;
using Herald.Protocol;

namespace Herald.Client;

/// <summary>Creates <see cref="IA2AClient"/>s. The <see cref="HttpClient"/> stays the caller's (handlers, timeouts, lifetime).</summary>
public static class A2AClient
{
    /// <summary>
    /// A client for the agent at <paramref name="agentUrl"/>; its card is fetched from
    /// <c>{agentUrl}/.well-known/agent-card.json</c> on first use (card errors surface from that call).
    /// </summary>
    public static IA2AClient Create(HttpClient httpClient, Uri agentUrl, A2AClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(agentUrl);
        _ = AgentCardResolver.GetCardUri(agentUrl); // fail now on a relative URL
        return new A2AClientCore(httpClient, agentUrl, Checked(options));
    }

    /// <summary>A client for an agent whose card the caller already has; the interface is chosen now.</summary>
    /// <exception cref="A2AVersionNotSupportedException">No interface of the card can be used.</exception>
    public static IA2AClient Create(HttpClient httpClient, AgentCard card, A2AClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(card);
        options = Checked(options);
        var selected = AgentCardResolver.SelectInterface(card, options);
        return new A2AClientCore(httpClient, new A2AEndpoint(selected, card), options);
    }

    /// <summary>A client for a known endpoint, without a card (e.g. <c>JSONRPC</c>, <c>1.0</c>, <c>http://host/a2a</c>).</summary>
    /// <exception cref="A2AVersionNotSupportedException">The interface's binding or version is not implemented, or differs from a pinned version or binding.</exception>
    public static IA2AClient Create(HttpClient httpClient, AgentInterface agentInterface, A2AClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(agentInterface);
        options = Checked(options);
        if (options.ProtocolVersion is { } pinned && ProtocolVersions.Normalize(pinned) != ProtocolVersions.Normalize(agentInterface.ProtocolVersion))
        {
            throw new A2AVersionNotSupportedException(
                $"The interface speaks version {agentInterface.ProtocolVersion}, not the pinned {ProtocolVersions.Normalize(pinned)}.",
                ProtocolVersions.Normalize(pinned), [$"{agentInterface.ProtocolBinding} {agentInterface.ProtocolVersion} at {agentInterface.Url}"]);
        }

        if (options.ProtocolBinding is { } binding && !ProtocolBindings.Is(agentInterface.ProtocolBinding, ProtocolBindings.Normalize(binding)))
        {
            throw new A2AVersionNotSupportedException(
                $"The interface speaks {agentInterface.ProtocolBinding}, not the pinned {ProtocolBindings.Normalize(binding)}.",
                options.ProtocolVersion, [$"{agentInterface.ProtocolBinding} {agentInterface.ProtocolVersion} at {agentInterface.Url}"]);
        }

        return new A2AClientCore(httpClient, new A2AEndpoint(agentInterface, null), options);
    }

    /// <summary>Fetches the card and chooses the interface now, so that card and version errors surface here.</summary>
    /// <exception cref="A2ANotAnAgentException">No valid agent card at the URL.</exception>
    /// <exception cref="A2AVersionNotSupportedException">No usable interface.</exception>
    public static async Task<IA2AClient> ConnectAsync(HttpClient httpClient, Uri agentUrl, A2AClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var client = Create(httpClient, agentUrl, options);
        await client.GetEndpointAsync(cancellationToken).ConfigureAwait(false);
        return client;
    }

    private static A2AClientOptions Checked(A2AClientOptions? options)
    {
        options ??= new A2AClientOptions();
        options.Validate();
        return options;
    }
}
