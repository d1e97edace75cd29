using Herald.Server.Engine;
using Microsoft.Extensions.Hosting;

namespace Herald.Server.Hosting;

/// <summary>On host shutdown, cancels running agents so every open stream sees its task end.</summary>
internal sealed class HeraldShutdownService(TaskEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => engine.ShutdownAsync(cancellationToken);
}
