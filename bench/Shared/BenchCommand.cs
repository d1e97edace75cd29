using System.Globalization;

namespace Herald.Bench;

/// <summary>
/// What a bench agent is asked to do, parsed from the message text <c>"N delay=MS [start=MS]"</c>:
/// after a working status and an optional start delay, N chunks appended to one artifact, the i-th
/// at start + i*delay (a schedule, so the average rate is exact even when timers are coarse), then
/// completed. delay=0 appends as fast as possible.
/// </summary>
internal readonly record struct BenchCommand(int Count, double DelayMs, double StartMs)
{
    public const string ArtifactId = "chunks";

    /// <summary>The metadata key of the artifact chunk's send time, in <see cref="BenchClock"/> microseconds.</summary>
    public const string TimestampKey = "benchTsUs";

    public static BenchCommand Parse(string text)
    {
        var count = 10;
        double delay = 0, start = 0;
        foreach (var token in (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.StartsWith("delay=", StringComparison.Ordinal))
            {
                delay = double.Parse(token.AsSpan(6), CultureInfo.InvariantCulture);
            }
            else if (token.StartsWith("start=", StringComparison.Ordinal))
            {
                start = double.Parse(token.AsSpan(6), CultureInfo.InvariantCulture);
            }
            else if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                count = n;
            }
        }

        return new BenchCommand(Math.Max(0, count), Math.Max(0, delay), Math.Max(0, start));
    }

    /// <summary>The text of chunk i: fixed width, so every server sends events of the same size.</summary>
    public static string ChunkText(int i) => "chunk " + i.ToString("D6", CultureInfo.InvariantCulture) + " ";

    /// <summary>When chunk i (1-based) is due, in <see cref="System.Diagnostics.Stopwatch"/> ticks from <paramref name="origin"/>.</summary>
    public long DueTicks(long origin, int i) =>
        origin + (long)(DelayMs * i * System.Diagnostics.Stopwatch.Frequency / 1000.0);
}

/// <summary>Waits on the bench schedule.</summary>
internal static class BenchPacer
{
    /// <summary>Completes at <paramref name="dueTicks"/> (Stopwatch ticks), at once if that has passed.</summary>
    public static Task WaitUntilAsync(long dueTicks, CancellationToken cancellationToken)
    {
        var remaining = System.Diagnostics.Stopwatch.GetElapsedTime(System.Diagnostics.Stopwatch.GetTimestamp(), dueTicks);
        return remaining >= TimeSpan.FromMilliseconds(1) ? Task.Delay(remaining, cancellationToken) : Task.CompletedTask;
    }
}
