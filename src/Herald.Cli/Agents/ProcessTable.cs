using System.Globalization;
using System.Text;

namespace Herald.Cli.Agents;

/// <summary>Reads the live processes of the machine from <c>/proc</c> (Linux).</summary>
internal static class ProcessTable
{
    /// <summary>One live process. <see cref="StartTime"/> (clock ticks after boot) tells a reused pid from the process once seen.</summary>
    internal readonly record struct Entry(int Pid, int ParentPid, int ProcessGroup, int Session, ulong StartTime);

    /// <summary>Every process that is running now; zombies (already dead, waiting for their parent to reap them) are left out.</summary>
    public static List<Entry> ReadAll()
    {
        var entries = new List<Entry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && TryRead(pid, out var entry))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    public static bool TryRead(int pid, out Entry entry)
    {
        entry = default;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone between listing and reading.
            return false;
        }

        return TryParseStat(stat, out entry);
    }

    /// <summary>
    /// Parses <c>/proc/PID/stat</c>: "pid (comm) state ppid pgrp session ... starttime(22nd) ...". The command
    /// name may hold spaces and parentheses, so fields are counted from the last ')'.
    /// </summary>
    internal static bool TryParseStat(string stat, out Entry entry)
    {
        entry = default;
        var close = stat.LastIndexOf(')');
        if (close < 0 || !int.TryParse(stat.AsSpan(0, stat.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        // Fields 3.. (state is field 3); starttime is field 22.
        var fields = stat[(close + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X" or "x"
            || !int.TryParse(fields[1], CultureInfo.InvariantCulture, out var parent)
            || !int.TryParse(fields[2], CultureInfo.InvariantCulture, out var group)
            || !int.TryParse(fields[3], CultureInfo.InvariantCulture, out var session)
            || !ulong.TryParse(fields[19], CultureInfo.InvariantCulture, out var startTime))
        {
            return false;
        }

        entry = new Entry(pid, parent, group, session, startTime);
        return true;
    }

    /// <summary>
    /// Whether the environment the process was started with holds <paramref name="variable"/> (<c>NAME=value</c>):
    /// null when it cannot be told yet, because the environment reads empty (as it does for a moment while the
    /// process execs a new program).
    /// </summary>
    public static bool? HasEnvironmentVariable(int pid, string variable)
    {
        byte[] environment;
        try
        {
            environment = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Gone, or another user's process: not one a command of ours started.
            return false;
        }
        catch (IOException)
        {
            return null;
        }

        if (environment.Length == 0)
        {
            return null;
        }

        // Entries are NUL-terminated: match whole entries only.
        var wanted = Encoding.UTF8.GetBytes(variable + "\0");
        for (var from = 0; from < environment.Length;)
        {
            var at = environment.AsSpan(from).IndexOf(wanted);
            if (at < 0)
            {
                break;
            }

            at += from;
            if (at == 0 || environment[at - 1] == 0)
            {
                return true;
            }

            from = at + 1;
        }

        return false;
    }
}
