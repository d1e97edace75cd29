using System.Diagnostics;

namespace Herald.Bench;

/// <summary>
/// The clock every bench process stamps and reads latencies with: microseconds of the machine's
/// monotonic clock (CLOCK_MONOTONIC on Linux, the same clock as Node's <c>process.hrtime</c>), so a
/// timestamp taken in a server process can be compared with one taken in the load generator.
/// </summary>
internal static class BenchClock
{
    private static readonly long TicksPerMicrosecond = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    public static long NowMicroseconds() => Stopwatch.GetTimestamp() / TicksPerMicrosecond;
}
