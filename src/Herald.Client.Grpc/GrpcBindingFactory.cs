using Grpc.Net.Client;
using Herald.Client.Bindings;
using Herald.Protocol;

namespace Herald.Client.Grpc;

/// <summary>Creates <see cref="GrpcA2ABinding"/>s for interfaces of binding <c>GRPC</c>, version 1.0.</summary>
internal sealed class GrpcBindingFactory(Action<GrpcChannelOptions>? configure) : A2ABindingFactory
{
    public const string Binding = "GRPC";

    public override string ProtocolBinding => Binding;

    public override A2ABinding Create(HttpClient httpClient, AgentInterface agentInterface, A2AClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(agentInterface);
        ArgumentNullException.ThrowIfNull(options);
        if (!GrpcTarget.TryParse(agentInterface.Url, out var url))
        {
            throw new ArgumentException(
                $"The gRPC interface URL '{agentInterface.Url}' is none of http://host:port (HTTP/2 without TLS), https://host:port, host:port or dns:[//resolver/]host:port (both without TLS).",
                nameof(agentInterface));
        }

        var channelOptions = new GrpcChannelOptions
        {
            HttpClient = httpClient,
            DisposeHttpClient = false,
            MaxReceiveMessageSize = (int)Math.Min(options.MaxResponseSize, int.MaxValue),
        };
        configure?.Invoke(channelOptions);
        return new GrpcA2ABinding(GrpcChannel.ForAddress(url, channelOptions), url, agentInterface.Tenant, options);
    }
}
