using Herald.Protocol;
using Herald.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Herald.Grpc.Service;

/// <summary>The gRPC interface in the agent card, once the service is mapped.</summary>
internal sealed class GrpcInterfaceProvider(IOptions<HeraldGrpcOptions> options, GrpcMapping mapping) : IAgentInterfaceProvider
{
    public const string Binding = "GRPC";

    public IEnumerable<AgentInterface> GetInterfaces(Uri endpointUrl)
    {
        var settings = options.Value;
        if (!mapping.Mapped || !settings.ListInAgentCard)
        {
            return [];
        }

        var url = settings.InterfaceUrl is { } resolve ? resolve(endpointUrl) : HeraldGrpcOptions.CardUrl(endpointUrl);
        // 1.1 (the draft: 1.0 plus generations) on the same service, after 1.0 so that clients that take the first gRPC entry get 1.0.
        return string.IsNullOrEmpty(url)
            ? []
            : [new AgentInterface { Url = url, ProtocolBinding = Binding, ProtocolVersion = "1.0" }, new AgentInterface { Url = url, ProtocolBinding = Binding, ProtocolVersion = "1.1" }];
    }
}
