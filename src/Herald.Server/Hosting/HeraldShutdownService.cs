using Herald.Server.Engine;
using Microsoft.Extensions.Hosting;

namespace Herald.Server.Hosting;

/// <summary>
/// When the host begins to stop, cancels running agents (their tasks end as canceled, so every open
/// stream delivers a final event) and then closes the remaining streams, before the web server waits
/// for requests to drain.
/// </summary>
internal sealed class HeraldShutdownService(TaskEngine engine, IHostApplicationLifetime? lifetime = null) : IHostedService
{
    private Task _shutdown = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime?.ApplicationStopping.Register(() => _shutdown = engine.ShutdownAsync(CancellationToken.None));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _shutdown.ConfigureAwait(false);
        await engine.ShutdownAsync(cancellationToken).ConfigureAwait(false);
    }
}
