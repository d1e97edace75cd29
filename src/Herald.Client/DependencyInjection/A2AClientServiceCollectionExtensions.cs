using Herald.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

// In the DI namespace, as Microsoft's own AddXxx methods are, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers A2A clients on top of <see cref="IHttpClientFactory"/>.</summary>
public static class A2AClientServiceCollectionExtensions
{
    /// <summary>The registration name used by <see cref="AddA2AClient(IServiceCollection, Uri, Action{A2AClientOptions}?)"/>.</summary>
    public const string DefaultName = "Herald.A2AClient";

    /// <summary>
    /// Registers <see cref="IA2AClient"/> (transient) for the agent at <paramref name="agentUrl"/>. Returns the
    /// HTTP client builder: add <see cref="DelegatingHandler"/>s (auth, retries) and set timeouts there.
    /// </summary>
    public static IHttpClientBuilder AddA2AClient(this IServiceCollection services, Uri agentUrl, Action<A2AClientOptions>? configure = null)
    {
        var builder = services.AddA2AClient(DefaultName, agentUrl, configure);
        services.TryAddTransient(sp => sp.GetRequiredService<IA2AClientFactory>().CreateClient(DefaultName));
        return builder;
    }

    /// <summary>Registers a named client; create it with <see cref="IA2AClientFactory.CreateClient(string)"/>.</summary>
    public static IHttpClientBuilder AddA2AClient(this IServiceCollection services, string name, Uri agentUrl, Action<A2AClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(agentUrl);
        _ = AgentCardResolver.GetCardUri(agentUrl); // fail at registration on a relative URL

        services.AddOptions<A2AClientRegistration>(name).Configure(r => r.AgentUrl = agentUrl);
        var options = services.AddOptions<A2AClientOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IServiceProvider>((o, sp) =>
        {
            o.Logger ??= sp.GetService<ILoggerFactory>()?.CreateLogger("Herald.Client");
            if (ReferenceEquals(o.TimeProvider, TimeProvider.System) && sp.GetService<TimeProvider>() is { } time)
            {
                o.TimeProvider = time;
            }
        });
        services.TryAddSingleton<IA2AClientFactory, A2AClientFactory>();
        return services.AddHttpClient(name);
    }
}
