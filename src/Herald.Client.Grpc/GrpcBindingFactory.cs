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
        if (!Uri.TryCreate(agentInterface.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The gRPC interface URL '{agentInterface.Url}' is not an absolute http(s) URL (http:// for HTTP/2 without TLS).", nameof(agentInterface));
        }

        var channelOptions = new GrpcChannelOptions
        {
            HttpClient = httpClient,
            DisposeHttpClient = false,
            MaxReceiveMessageSize = (int)Math.Min(options.MaxResponseSize, int.MaxValue),
        };
        configure?.Invoke(channelOptions);
        return new GrpcA2ABinding(GrpcChannel.ForAddress(url, channelOptions), agentInterface.Tenant, options);
    }
}
