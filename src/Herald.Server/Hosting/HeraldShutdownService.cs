using Herald.Server.Engine;
using Microsoft.Extensions.Hosting;

namespace Herald.Server.Hosting;

/// <summary>
/// When the host begins to stop, cancels running agents (their tasks end as canceled, so every open
/// stream delivers a final event) and lets streams drain, before the web server waits for requests to end.
/// </summary>
internal sealed class HeraldShutdownService(TaskEngine engine, IHostApplicationLifetime? lifetime = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime?.ApplicationStopping.Register(() => _ = engine.ShutdownAsync(CancellationToken.None));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.ShutdownAsync(cancellationToken);
}
