using System.Net;
using Grpc.Net.Client;
using Herald.Grpc;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Grpc.Tests.Infrastructure;

/// <summary>
/// A Herald app on real Kestrel at 127.0.0.1, laid out as <c>herald serve</c> lays it out: JSON-RPC and the
/// card on an HTTP/1.1 port, the gRPC service on a second, HTTP/2-only port (both chosen by the OS), and the
/// card listing both. <see cref="Raw"/> calls the gRPC service with the generated messages.
/// </summary>
internal sealed class GrpcTestServer : IAsyncDisposable
{
    private bool _stopped;

    private GrpcTestServer(WebApplication app, Uri baseAddress, Uri grpcAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        GrpcAddress = grpcAddress;
        Http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }) { Timeout = TimeSpan.FromSeconds(60) };
        Channel = GrpcChannel.ForAddress(grpcAddress, new GrpcChannelOptions { HttpClient = Http, DisposeHttpClient = false });
        Raw = new RawA2AClient(Channel);
    }

    public WebApplication App { get; }

    /// <summary>The HTTP/1.1 address (card, JSON-RPC), e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The HTTP/2 address of the gRPC service, e.g. <c>http://127.0.0.1:41235/</c>.</summary>
    public Uri GrpcAddress { get; }

    public int GrpcPort => GrpcAddress.Port;

    public HttpClient Http { get; }

    public GrpcChannel Channel { get; }

    public RawA2AClient Raw { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<GrpcTestServer> StartAsync(
        Action<IHeraldBuilder> configureAgent,
        Action<HeraldOptions>? configureOptions = null,
        Action<HeraldGrpcOptions>? configureGrpc = null,
        Action<IServiceCollection>? configureServices = null,
        bool mapGrpc = true)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        ListenOptions? http = null;
        ListenOptions? grpc = null;
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => http = o);
            k.Listen(IPAddress.Loopback, 0, o =>
            {
                o.Protocols = HttpProtocols.Http2;
                grpc = o;
            });
        });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        configureServices?.Invoke(builder.Services);
        var herald = builder.Services.AddHerald(configureOptions);
        configureAgent(herald);
        herald.AddGrpc(o =>
        {
            // As herald serve does: the card's host as the client used it, the gRPC port.
            o.InterfaceUrl = endpoint => HeraldGrpcOptions.CardUrl(new UriBuilder(Uri.UriSchemeHttp, endpoint.Host, grpc!.IPEndPoint!.Port).Uri);
            configureGrpc?.Invoke(o);
        });

        var app = builder.Build();
        app.MapHerald("/");
        if (mapGrpc)
        {
            app.MapHeraldGrpc();
        }

        await app.StartAsync().Within();
        return new GrpcTestServer(app, new Uri($"http://127.0.0.1:{http!.IPEndPoint!.Port}/"), new Uri($"http://127.0.0.1:{grpc!.IPEndPoint!.Port}/"));
    }

    /// <summary>A server whose agent is a fresh <see cref="ControlledAgent"/>.</summary>
    public static Task<GrpcTestServer> StartAsync(ControlledAgent agent, Action<HeraldOptions>? configureOptions = null) =>
        StartAsync(h => h.AddAgent(agent), configureOptions);

    /// <summary>Stops the host (graceful shutdown); bounded.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await App.StopAsync().Within();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        try
        {
            if (!_stopped)
            {
                await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}
