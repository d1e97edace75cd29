using System.Globalization;
using System.Text.RegularExpressions;

namespace Herald.Cli.Commands;

/// <summary>Durations as people type them on a command line: <c>500ms</c>, <c>30s</c>, <c>15m</c>, <c>12h</c>, <c>7d</c>.</summary>
internal static partial class DurationParser
{
    public const string Usage = "a number with a unit: ms, s, m, h or d (for example 30s, 12h, 7d)";

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        var match = Duration().Match(text?.Trim() ?? "");
        if (!match.Success || !long.TryParse(match.Groups["n"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        var unit = match.Groups["unit"].Value.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.FromMilliseconds(1),
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            "h" => TimeSpan.FromHours(1),
            _ => TimeSpan.FromDays(1),
        };

        // Bounded so that the product cannot overflow: 100 years is more than any retention needs.
        if (n > TimeSpan.FromDays(36_500).Ticks / unit.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks(n * unit.Ticks);
        return true;
    }

    /// <summary>The shortest exact form, for messages: <c>1d</c>, <c>90m</c>, <c>500ms</c>.</summary>
    public static string Format(TimeSpan duration) =>
        duration.Ticks % TimeSpan.TicksPerDay == 0 ? $"{duration.Ticks / TimeSpan.TicksPerDay}d"
        : duration.Ticks % TimeSpan.TicksPerHour == 0 ? $"{duration.Ticks / TimeSpan.TicksPerHour}h"
        : duration.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{duration.Ticks / TimeSpan.TicksPerMinute}m"
        : duration.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{duration.Ticks / TimeSpan.TicksPerSecond}s"
        : $"{(long)duration.TotalMilliseconds}ms";

    [GeneratedRegex(@"^(?<n>[0-9]+)\s*(?<unit>ms|s|m|h|d)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Duration();
}
