using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Hosting;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

// In the DI namespace, as ASP.NET Core's own AddXxx methods are, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers Herald.</summary>
public static class HeraldServiceCollectionExtensions
{
    /// <summary>Adds the Herald task engine with the in-memory store (replace it with a durable one with <c>Use*</c>).</summary>
    public static IHeraldBuilder AddHerald(this IServiceCollection services, Action<Herald.Server.HeraldOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<Herald.Server.HeraldOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TaskStore, InMemoryTaskStore>();
        services.TryAddSingleton<TaskEngine>();
        services.TryAddSingleton<Herald.Server.IHeraldTasks>(sp => sp.GetRequiredService<TaskEngine>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HeraldShutdownService>());
        return new HeraldBuilder(services);
    }

    /// <summary>Registers the agent; a new instance from a fresh DI scope handles each message.</summary>
    public static IHeraldBuilder AddAgent<TAgent>(this IHeraldBuilder builder)
        where TAgent : class, IAgent
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddTransient<TAgent>();
        return builder.SetAgentFactory(sp => sp.GetRequiredService<TAgent>());
    }

    /// <summary>Registers a single agent instance that handles every message.</summary>
    public static IHeraldBuilder AddAgent(this IHeraldBuilder builder, IAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return builder.SetAgentFactory(_ => agent);
    }

    /// <summary>Registers an agent written as a lambda.</summary>
    public static IHeraldBuilder AddAgent(this IHeraldBuilder builder, Func<AgentContext, CancellationToken, Task> execute)
    {
        ArgumentNullException.ThrowIfNull(execute);
        return builder.AddAgent(new DelegateAgent(execute));
    }

    /// <summary>Uses the in-memory store (the default): fast, lost on restart.</summary>
    public static IHeraldBuilder UseInMemoryStore(this IHeraldBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<TaskStore, InMemoryTaskStore>());
        return builder;
    }

    private static IHeraldBuilder SetAgentFactory(this IHeraldBuilder builder, AgentFactory factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }
}
