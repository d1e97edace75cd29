using Herald.Server;

namespace Herald.Cli.Hosting;

/// <summary>The timings <c>herald serve</c> runs its streams, runner leases and maintenance with.</summary>
internal sealed record ServeTimings
{
    private static readonly HeraldOptions Defaults = new();

    /// <summary>How often an idle stream gets a <c>: keep-alive</c> comment (<c>--keep-alive</c>).</summary>
    public TimeSpan KeepAlive { get; init; } = Defaults.KeepAliveInterval;

    /// <summary>How long a runner lease lasts without renewal (<c>--runner-lease</c>).</summary>
    public TimeSpan RunnerLease { get; init; } = Defaults.RunnerLeaseDuration;

    /// <summary>How often maintenance runs (<c>--maintenance-interval</c>).</summary>
    public TimeSpan MaintenanceInterval { get; init; } = Defaults.MaintenanceInterval;

    public void ApplyTo(HeraldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.KeepAliveInterval = KeepAlive;
        options.RunnerLeaseDuration = RunnerLease;
        options.MaintenanceInterval = MaintenanceInterval;
    }
}
