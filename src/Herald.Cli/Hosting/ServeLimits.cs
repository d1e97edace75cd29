using Herald.Cli.Agents;

namespace Herald.Cli.Hosting;

/// <summary>The limits <c>herald serve</c> runs with (docs/limits-and-security.md lists them all).</summary>
internal sealed record ServeLimits
{
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(130);

    /// <summary>Slower request bodies are cut (after the grace period): they would hold a connection for free.</summary>
    public const double MinDataRateBytesPerSecond = 240;

    public static readonly TimeSpan MinDataRateGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Kestrel allows each pending write max(grace, size / rate): at its default 240 B/s a stalled reader holds one
    /// 64 KiB slice of a response for over four minutes. At 16 KiB/s a client that stops reading is cut within the
    /// grace period, while any client that reads at all keeps up (SSE flushes at most 32 KiB at a time).
    /// </summary>
    public const double MinResponseDataRateBytesPerSecond = 16 * 1024;

    public static readonly TimeSpan MinResponseDataRateGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>Connections held at once; null derives it from the open-files limit (<see cref="ConnectionBudget"/>).</summary>
    public int? MaxConnections { get; init; }

    public ExecAgentOptions Exec { get; init; } = ExecAgentOptions.Default;

    /// <summary>Web origins whose pages may call the agent from a browser (CORS); empty: none (the default).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
}
