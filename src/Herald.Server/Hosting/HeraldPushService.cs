using Herald.Server.Engine;
using Herald.Server.Push;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Herald.Server.Hosting;

/// <summary>Runs push delivery (<see cref="PushDeliveries"/>) while the host runs, when <see cref="HeraldOptions.PushNotifications"/> is on.</summary>
internal sealed class HeraldPushService(TaskEngine engine, WebhookSender sender, IOptions<HeraldOptions> options, TimeProvider time, ILogger<PushDeliveries>? logger = null)
    : IHostedService, IAsyncDisposable
{
    public PushDeliveries? Deliveries { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.PushNotifications)
        {
            Deliveries = new PushDeliveries(engine.Store, sender, options.Value, time, logger ?? (ILogger)NullLogger.Instance);
            Deliveries.Start();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Deliveries?.StopAsync().WaitAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => Deliveries?.DisposeAsync() ?? ValueTask.CompletedTask;
}
