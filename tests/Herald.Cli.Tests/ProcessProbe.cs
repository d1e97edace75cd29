using System.Globalization;

namespace Herald.Cli.Tests;

/// <summary>What <c>/proc</c> says about processes, read independently of the code under test.</summary>
internal static class ProcessProbe
{
    /// <summary>Whether <paramref name="pid"/> is a live process (a zombie is dead: it only waits to be reaped).</summary>
    public static bool IsRunning(int pid) => TryReadStat(pid, out var state, out _, out _) && state is not ('Z' or 'X');

    /// <summary>The process group and session of <paramref name="pid"/>.</summary>
    public static (int Group, int Session) GroupAndSession(int pid) =>
        TryReadStat(pid, out _, out var group, out var session) ? (group, session) : throw new InvalidOperationException($"process {pid} is gone");

    /// <summary>The live processes of session <paramref name="session"/>.</summary>
    public static List<int> LiveInSession(int session)
    {
        var live = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid)
                && TryReadStat(pid, out var state, out _, out var s) && s == session && state is not ('Z' or 'X'))
            {
                live.Add(pid);
            }
        }

        return live;
    }

    /// <summary>The pids among <paramref name="pids"/> that still run, for assertion messages.</summary>
    public static string Describe(IEnumerable<int> pids) =>
        string.Join(", ", pids.Where(IsRunning).Select(p => $"{p} ({ReadCommandLine(p)}; stat: {ReadStat(p)})"));

    private static string ReadStat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return string.Join(' ', stat[(stat.LastIndexOf(')') + 2)..].Split(' ').Take(4));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static bool TryReadStat(int pid, out char state, out int group, out int session)
    {
        state = default;
        group = session = 0;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }

        // "pid (comm) S ppid pgrp session ...": comm may hold spaces, so count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        state = fields[0][0];
        group = int.Parse(fields[2], CultureInfo.InvariantCulture);
        session = int.Parse(fields[3], CultureInfo.InvariantCulture);
        return true;
    }
}
