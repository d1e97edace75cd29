using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Herald.Grpc;
using Herald.Grpc.Service;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In the DI namespace, as AddHerald is, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers Herald's gRPC binding.</summary>
public static class HeraldGrpcBuilderExtensions
{
    /// <summary>
    /// Adds the A2A gRPC service (<c>lf.a2a.v1.A2AService</c>) on the Herald engine, and gRPC itself; map it
    /// with <c>app.MapHeraldGrpc()</c>. Requests larger than <see cref="HeraldOptions.MaxRequestBodyBytes"/>
    /// are refused with RESOURCE_EXHAUSTED.
    /// </summary>
    public static IHeraldBuilder AddGrpc(this IHeraldBuilder builder, Action<HeraldGrpcOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddGrpc();
        services.AddOptions<HeraldGrpcOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<A2AGrpcService>();
        services.TryAddSingleton<GrpcMapping>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<A2AGrpcService>, A2AServiceMethods>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<GrpcServiceOptions<A2AGrpcService>>, GrpcLimitsSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentInterfaceProvider, GrpcInterfaceProvider>());
        return builder;
    }
}
