using Microsoft.Extensions.Options;

namespace Herald.Client;

internal sealed class A2AClientFactory(
    IHttpClientFactory httpClientFactory,
    IOptionsMonitor<A2AClientOptions> options,
    IOptionsMonitor<A2AClientRegistration> registrations) : IA2AClientFactory
{
    public IA2AClient CreateClient(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var agentUrl = registrations.Get(name).AgentUrl
            ?? throw new InvalidOperationException($"No A2A client named '{name}' is registered. Call services.AddA2AClient(\"{name}\", agentUrl).");
        return A2AClient.Create(httpClientFactory.CreateClient(name), agentUrl, options.Get(name));
    }
}
