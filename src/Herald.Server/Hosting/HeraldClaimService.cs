using Herald.Server.Engine;
using Microsoft.Extensions.Hosting;

namespace Herald.Server.Hosting;

/// <summary>
/// Claims runs to do from the store while the host runs, in a process that runs agents (<see cref="HeraldOptions.RunAgents"/>):
/// started after the maintenance service's first recovery, stopped before shutdown cancels the runs.
/// </summary>
internal sealed class HeraldClaimService(TaskEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        engine.Claimer.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.Claimer.StopAsync().WaitAsync(cancellationToken);
}
