using Herald.Server;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Hosting;
using Herald.Server.Push;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// In the DI namespace, as ASP.NET Core's own AddXxx methods are, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers Herald.</summary>
public static class HeraldServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Herald task engine with the in-memory store (replace it with a durable one with <c>Use*</c>).
    /// Options are validated when the host starts; a bad value fails start-up with the setting's name.
    /// </summary>
    public static IHeraldBuilder AddHerald(this IServiceCollection services, Action<HeraldOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<HeraldOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HeraldOptions>, HeraldOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TaskStore, InMemoryTaskStore>();
        services.TryAddSingleton(sp => new ResponseBudget(sp.GetRequiredService<IOptions<HeraldOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new SharedAnswers(sp.GetRequiredService<ResponseBudget>(), sp.GetRequiredService<TaskStore>(), sp.GetRequiredService<IOptions<HeraldOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICallerResolver>(sp => new ClaimsCallerResolver(sp.GetRequiredService<IOptions<HeraldOptions>>().Value.TenantClaimType));
        services.TryAddSingleton(sp => new WebhookAddressPolicy(sp.GetRequiredService<IOptions<HeraldOptions>>().Value.WebhookAllow));
        services.TryAddSingleton<IWebhookUrlValidator>(sp => sp.GetRequiredService<WebhookAddressPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HeraldPushService>());
        services.TryAddSingleton(sp => new WebhookSender(sp.GetRequiredService<WebhookAddressPolicy>(), sp.GetRequiredService<IOptions<HeraldOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<TaskEngine>();
        services.TryAddSingleton<IHeraldEngine>(sp => sp.GetRequiredService<TaskEngine>());
        services.TryAddSingleton<IHeraldTasks>(sp => sp.GetRequiredService<TaskEngine>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HeraldMaintenanceService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HeraldShutdownService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HeraldClaimService>());
        return new HeraldBuilder(services);
    }

    /// <summary>Registers the agent; a new instance from a fresh DI scope handles each message.</summary>
    /// <param name="builder">The Herald builder.</param>
    /// <param name="mode">Whether the agent may answer with a direct message instead of a task.</param>
    public static IHeraldBuilder AddAgent<TAgent>(this IHeraldBuilder builder, AgentResponseMode mode = AgentResponseMode.Task)
        where TAgent : class, IAgent
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddTransient<TAgent>();
        return builder.SetAgent(sp => sp.GetRequiredService<TAgent>(), mode);
    }

    /// <summary>Registers a single agent instance that handles every message.</summary>
    public static IHeraldBuilder AddAgent(this IHeraldBuilder builder, IAgent agent, AgentResponseMode mode = AgentResponseMode.Task)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return builder.SetAgent(_ => agent, mode);
    }

    /// <summary>Registers an agent written as a lambda.</summary>
    public static IHeraldBuilder AddAgent(this IHeraldBuilder builder, Func<AgentContext, CancellationToken, Task> execute, AgentResponseMode mode = AgentResponseMode.Task)
    {
        ArgumentNullException.ThrowIfNull(execute);
        return builder.AddAgent(new DelegateAgent(execute), mode);
    }

    /// <summary>Uses the in-memory store (the default): fast, lost on restart.</summary>
    public static IHeraldBuilder UseInMemoryStore(this IHeraldBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<TaskStore, InMemoryTaskStore>());
        return builder;
    }

    /// <summary>Uses a store of your own (an implementation of the store SPI), created from DI.</summary>
    public static IHeraldBuilder UseStore(this IHeraldBuilder builder, Func<IServiceProvider, TaskStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    private static IHeraldBuilder SetAgent(this IHeraldBuilder builder, AgentFactory factory, AgentResponseMode mode)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown agent response mode.");
        }

        builder.Services.Replace(ServiceDescriptor.Singleton(new AgentRegistration(factory, mode)));
        return builder;
    }
}
