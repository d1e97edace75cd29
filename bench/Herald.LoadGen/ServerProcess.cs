using System.Globalization;

namespace Herald.LoadGen;

/// <summary>Reads the measured server's memory and CPU time from <c>/proc/&lt;pid&gt;</c> (Linux).</summary>
internal sealed class ServerProcess(int? pid)
{
    // USER_HZ: 100 on every Linux the load generator is expected to run on.
    private const double ClockTicksPerSecond = 100;

    public bool Available => pid is not null && File.Exists($"/proc/{pid}/status");

    /// <summary>Resident set size in KiB (VmRSS), or null.</summary>
    public long? RssKiB() => ReadStatusKiB("VmRSS:");

    /// <summary>User + system CPU time of the process in milliseconds, or null.</summary>
    public double? CpuMilliseconds()
    {
        if (!Available)
        {
            return null;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name may contain spaces; the fields after it are space-separated.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) * 1000 / ClockTicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private long? ReadStatusKiB(string field)
    {
        if (!Available)
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
