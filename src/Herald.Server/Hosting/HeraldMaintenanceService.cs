using Herald.Server.Engine;
using Microsoft.Extensions.Hosting;

namespace Herald.Server.Hosting;

/// <summary>
/// Runs the engine's housekeeping on the injected clock: at start and then every
/// <see cref="HeraldOptions.MaintenanceInterval"/>, fails tasks whose runner lease expired (so no stream
/// waits forever for a runner that died) and deletes ended tasks past their retention.
/// </summary>
internal sealed class HeraldMaintenanceService(TaskEngine engine) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Recover once before serving: tasks left running by a process that died are failed before anyone subscribes.
        await RunOnceAsync(cancellationToken).ConfigureAwait(false);
        _loop = LoopAsync(_stop.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(engine.Options.MaintenanceInterval, engine.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await RunOnceAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await engine.RecoverExpiredLeasesAsync(cancellationToken).ConfigureAwait(false);
            await engine.DeleteExpiredTasksAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.MaintenanceFailed(engine.Logger, ex); // tried again at the next tick
        }
    }
}
