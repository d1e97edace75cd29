using Grpc.Net.Client;
using Herald.Client.Grpc;

namespace Herald.Client;

/// <summary>Adds the gRPC binding to a client.</summary>
public static class A2AClientOptionsGrpcExtensions
{
    /// <summary>
    /// Lets the client use interfaces of binding <c>GRPC</c> (version 1.0): chosen when the agent card lists
    /// one first among those the client implements, or when <see cref="A2AClientOptions.ProtocolBinding"/> is
    /// <c>GRPC</c>. Calls go over the client's <see cref="HttpClient"/> (HTTP/2; its handlers and default headers
    /// apply, and its timeout should be infinite for long streams); <paramref name="configure"/> adjusts the
    /// channel (credentials, message size limits). Responses are limited to <see cref="A2AClientOptions.MaxResponseSize"/>.
    /// </summary>
    public static A2AClientOptions AddGrpcBinding(this A2AClientOptions options, Action<GrpcChannelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Bindings.Any(b => b is GrpcBindingFactory))
        {
            options.Bindings.Add(new GrpcBindingFactory(configure));
        }

        return options;
    }
}
