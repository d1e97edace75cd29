using Herald.Cli.Agents;
using Herald.Server;

namespace Herald.Cli.Hosting;

/// <summary>The limits <c>herald serve</c> runs with (docs/limits-and-security.md lists them all).</summary>
internal sealed record ServeLimits
{
    private static readonly HeraldOptions Defaults = new();

    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(130);

    /// <summary>Slower request bodies are cut (after the grace period): they would hold a connection for free.</summary>
    public const double MinDataRateBytesPerSecond = 240;

    public static readonly TimeSpan MinDataRateGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Kestrel allows each pending write max(grace, size / rate): at its default 240 B/s a stalled reader holds one
    /// 64 KiB slice of a response for over four minutes. At 16 KiB/s a client that is slow from the start is cut within
    /// the grace period. Kestrel banks credit from earlier fast writes, so a client that read fast and then stops is cut
    /// by Herald's own write deadline instead (<see cref="WriteStallTimeout"/>).
    /// </summary>
    public const double MinResponseDataRateBytesPerSecond = 16 * 1024;

    public static readonly TimeSpan MinResponseDataRateGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>Connections held at once; null derives it from the open-files limit (<see cref="ConnectionBudget"/>).</summary>
    public int? MaxConnections { get; init; }

    public ExecAgentOptions Exec { get; init; } = ExecAgentOptions.Default;

    /// <summary>Longest a response write may make no progress (<c>--write-stall-timeout</c>): <see cref="HeraldOptions.WriteStallTimeout"/>.</summary>
    public TimeSpan WriteStallTimeout { get; init; } = Defaults.WriteStallTimeout;

    /// <summary>Bytes of responses in flight (<c>--max-response-bytes-in-flight</c>): <see cref="HeraldOptions.MaxResponseBytesInFlight"/>.</summary>
    public long MaxResponseBytesInFlight { get; init; } = Defaults.MaxResponseBytesInFlight;

    /// <summary>Web origins whose pages may call the agent from a browser (CORS); empty: none (the default).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    public void ApplyTo(HeraldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.WriteStallTimeout = WriteStallTimeout;
        options.MaxResponseBytesInFlight = MaxResponseBytesInFlight;
    }
}
