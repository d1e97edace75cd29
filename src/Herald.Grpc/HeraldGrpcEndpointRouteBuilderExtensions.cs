using Herald.Grpc.Service;
using Herald.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

// In the ASP.NET Core builder namespace, as MapHerald is, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.AspNetCore.Builder;
#pragma warning restore IDE0130

/// <summary>Maps Herald's gRPC binding.</summary>
public static class HeraldGrpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the A2A gRPC service <c>lf.a2a.v1.A2AService</c> (routes <c>/lf.a2a.v1.A2AService/{method}</c>).
    /// gRPC needs HTTP/2: serve it over TLS, or on an endpoint whose protocols are HTTP/2 only. Once mapped,
    /// the agent card of <c>MapHerald</c> lists the interface (binding <c>GRPC</c>, version 1.0).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>services.AddHerald().AddAgent&lt;T&gt;().AddGrpc()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapHeraldGrpc(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var engine = services.GetService<IHeraldEngine>()
            ?? throw new InvalidOperationException("Herald's services are not registered. Call builder.Services.AddHerald().AddAgent<TAgent>().AddGrpc() before app.MapHeraldGrpc().");
        if (!engine.HasAgent)
        {
            throw new InvalidOperationException("No agent is registered. Call builder.Services.AddHerald().AddAgent<TAgent>().AddGrpc() before app.MapHeraldGrpc().");
        }

        var mapping = services.GetService<GrpcMapping>()
            ?? throw new InvalidOperationException("Herald's gRPC binding is not registered. Call .AddGrpc() on builder.Services.AddHerald() before app.MapHeraldGrpc().");
        var mapped = endpoints.MapGrpcService<A2AGrpcService>();
        mapping.Mapped = true;
        return mapped;
    }
}
