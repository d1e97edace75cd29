using Grpc.AspNetCore.Server;
using Herald.Server;
using Microsoft.Extensions.Options;

namespace Herald.Grpc.Service;

/// <summary>One request size limit for every binding: gRPC messages up to <see cref="HeraldOptions.MaxRequestBodyBytes"/>.</summary>
internal sealed class GrpcLimitsSetup(IOptions<HeraldOptions> herald) : IConfigureOptions<GrpcServiceOptions<A2AGrpcService>>
{
    public void Configure(GrpcServiceOptions<A2AGrpcService> options) =>
        options.MaxReceiveMessageSize = (int)Math.Min(herald.Value.MaxRequestBodyBytes, int.MaxValue);
}
