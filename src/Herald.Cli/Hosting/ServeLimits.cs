using Herald.Cli.Agents;

namespace Herald.Cli.Hosting;

/// <summary>The limits <c>herald serve</c> runs with (docs/limits-and-security.md lists them all).</summary>
internal sealed record ServeLimits
{
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(130);

    /// <summary>Slower request bodies and response readers are cut (after the grace period): they would hold a connection for free.</summary>
    public const double MinDataRateBytesPerSecond = 240;

    public static readonly TimeSpan MinDataRateGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>Connections held at once; null derives it from the open-files limit (<see cref="ConnectionBudget"/>).</summary>
    public int? MaxConnections { get; init; }

    public ExecAgentOptions Exec { get; init; } = ExecAgentOptions.Default;
}
