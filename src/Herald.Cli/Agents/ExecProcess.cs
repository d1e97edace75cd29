using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Herald.Cli.Posix;

namespace Herald.Cli.Agents;

/// <summary>
/// One run of the exec agent's command, started in a session of its own, and everything it starts.
/// </summary>
/// <remarks>
/// <para>
/// On Linux the command is started through util-linux <c>setsid</c> (which calls setsid(2) and then execs the
/// command in the same process: <see cref="Process.Start()"/> cannot run code between fork and exec), so the
/// command's pid is also its session and process-group id, and nothing it starts shares Herald's group.
/// </para>
/// <para>
/// To find what is left when the task ends, three marks are combined, because each alone misses something:
/// the session id and process group (kept by ordinary background children and their orphans, but not by a
/// descendant that calls setsid itself); an environment variable, <see cref="MarkerVariable"/>, with a value
/// unique to this run (inherited through fork, exec and setsid alike, but lost by a descendant started with a
/// cleared environment); and the parent chain of a process found by either (which links such a descendant only
/// while its parent lives). A process that leaves the session, clears its environment and outlives its parent
/// escapes all three; only a cgroup would hold it, and a cgroup needs privileges or systemd delegation that
/// <c>herald serve</c> cannot assume. Elsewhere (no <c>setsid</c>, no <c>/proc</c>) the fallback is
/// <see cref="Process.Kill(bool)"/> on the process tree, which misses orphans.
/// </para>
/// </remarks>
internal sealed class ExecProcess : IDisposable
{
    /// <summary>Set in the command's environment to a value unique to the run; descendants inherit it.</summary>
    public const string MarkerVariable = "HERALD_EXEC_RUN";

    /// <summary>
    /// How many scans wait for processes that cannot be told yet (mid-exec) before they are taken as not ours: a
    /// process of someone else started with an empty environment must not hold up every task's end.
    /// </summary>
    private const int MaxUnsureScans = 10;

    /// <summary>How long the last SIGKILL rounds go on finding processes (new children forked before the kill landed).</summary>
    private static readonly TimeSpan KillRoundsLimit = TimeSpan.FromSeconds(2);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary><c>NAME=value</c> as it appears in the environment of every process of this run; null when not tracked.</summary>
    private readonly string? _marker;

    /// <summary>The command's pid, which is also its session and process-group id when tracked.</summary>
    private readonly int _leader;

    /// <summary>
    /// When the command started (clock ticks after boot), or 0 if unknown: nothing started earlier can be one of
    /// its descendants, which spares reading the environment of every older process on the machine.
    /// </summary>
    private readonly ulong _startTime;

    private ExecProcess(Process process, string? marker)
    {
        Process = process;
        _marker = marker;
        _leader = process.Id;
        _startTime = marker is not null && ProcessTable.TryRead(_leader, out var entry) ? entry.StartTime : 0;
    }

    public Process Process { get; }

    /// <summary>Whether leftovers are found by session, group, marker and parent (Linux), rather than by process tree only.</summary>
    public bool IsTracked => _marker is not null;

    /// <exception cref="FileNotFoundException">The command is not an executable file (or not found in PATH).</exception>
    /// <exception cref="Win32Exception">The system could not start it.</exception>
    public static ExecProcess Start(ExecCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
        };

        string? marker = null;
        if (OperatingSystem.IsLinux() && ResolveExecutable("setsid") is { } setsid)
        {
            // Resolved here, so that "not found" is our clear error rather than the wrapper's exit code 127.
            var path = ResolveExecutable(command.FileName)
                ?? throw new FileNotFoundException(command.FileName.Contains('/', StringComparison.Ordinal)
                    ? "no such executable file"
                    : "no executable file of that name in PATH");
            marker = MarkerVariable + "=" + Guid.NewGuid().ToString("N");
            startInfo.FileName = setsid;
            // --wait: should setsid ever have to fork (it does when started as a group leader), the process we
            // watch still exits with the command's status.
            startInfo.ArgumentList.Add("--wait");
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(path);
            startInfo.Environment[MarkerVariable] = marker[(MarkerVariable.Length + 1)..];
        }
        else
        {
            startInfo.FileName = command.FileName;
        }

        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new Win32Exception($"'{command.FileName}' did not start.");
        return new ExecProcess(process, marker);
    }

    /// <summary>
    /// Ends the command, if still running, and everything it left running: SIGTERM to all of them, then, for
    /// whatever is still there after <paramref name="gracePeriod"/>, SIGKILL until none is left. Safe to call again.
    /// </summary>
    public async Task TerminateAsync(TimeSpan gracePeriod)
    {
        if (!IsTracked)
        {
            KillTree(Process);
            await WaitForExitAsync(gracePeriod).ConfigureAwait(false);
            return;
        }

        // A process's environment marker is read once per pid (and start time, against pid reuse) once known.
        var marked = new Dictionary<(int Pid, ulong StartTime), bool>();
        var signaled = new HashSet<int>();
        var unsureScans = 0;
        var left = FindLeftovers(marked, out var unsure);
        while (left.Count == 0 && unsure && unsureScans++ < MaxUnsureScans)
        {
            // A process in the middle of exec cannot be told apart yet: it may be one of ours that just left the session.
            await Task.Delay(TimeSpan.FromMilliseconds(10)).ConfigureAwait(false);
            left = FindLeftovers(marked, out unsure);
        }

        if (left.Count == 0)
        {
            await WaitForExitAsync(TimeSpan.Zero).ConfigureAwait(false);
            return;
        }

        Signal(left, LibC.SIGTERM, signaled, group: true);

        // Polling /proc with a deadline: the death of a process that is not our child has no wake-up short of
        // one pidfd per process. Intervals grow from 10 ms, so a command that obeys SIGTERM ends the task at once.
        var deadline = Stopwatch.GetTimestamp() + (long)(gracePeriod.TotalSeconds * Stopwatch.Frequency);
        var interval = TimeSpan.FromMilliseconds(10);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(interval).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks));
            left = FindLeftovers(marked, out unsure);
            if (left.Count == 0 && !(unsure && unsureScans++ < MaxUnsureScans))
            {
                await WaitForExitAsync(TimeSpan.Zero).ConfigureAwait(false);
                return;
            }

            // Started after the first round (forked by a process that was still running): they get SIGTERM too.
            Signal(left, LibC.SIGTERM, signaled, group: false);
        }

        var killDeadline = Stopwatch.GetTimestamp() + (long)(KillRoundsLimit.TotalSeconds * Stopwatch.Frequency);
        while (left.Count > 0 && Stopwatch.GetTimestamp() < killDeadline)
        {
            Signal(left, LibC.SIGKILL, signaled: null, group: true);
            await Task.Delay(TimeSpan.FromMilliseconds(10)).ConfigureAwait(false);
            left = FindLeftovers(marked, out _);
        }

        await WaitForExitAsync(TimeSpan.Zero).ConfigureAwait(false);
    }

    /// <summary>
    /// The live processes of this run: the command itself and whatever it started, by session, group, marker or
    /// parent. <paramref name="unsure"/> tells that some process started since the command could not be told yet.
    /// </summary>
    internal List<ProcessTable.Entry> FindLeftovers(Dictionary<(int Pid, ulong StartTime), bool> marked, out bool unsure)
    {
        unsure = false;
        var leader = _leader;
        var self = Environment.ProcessId;
        var all = ProcessTable.ReadAll();
        var members = new Dictionary<int, ProcessTable.Entry>();
        foreach (var entry in all)
        {
            if (entry.Pid == self || entry.StartTime < _startTime)
            {
                continue;
            }

            if (entry.Session == leader || entry.ProcessGroup == leader)
            {
                members[entry.Pid] = entry;
            }
            else if (IsMarked(entry, marked) is not { } isMarked)
            {
                unsure = true;
            }
            else if (isMarked)
            {
                members[entry.Pid] = entry;
            }
        }

        // Descendants of members, however they left the session and whatever their environment.
        bool added;
        do
        {
            added = false;
            foreach (var entry in all)
            {
                if (entry.Pid != self && entry.StartTime >= _startTime && !members.ContainsKey(entry.Pid) && members.ContainsKey(entry.ParentPid))
                {
                    members[entry.Pid] = entry;
                    added = true;
                }
            }
        }
        while (added);

        return [.. members.Values];
    }

    public void Dispose() => Process.Dispose();

    /// <summary>An executable file: a path (relative to the working directory) or a name looked up in PATH.</summary>
    internal static string? ResolveExecutable(string fileName)
    {
        if (!OperatingSystem.IsLinux() || fileName.Length == 0)
        {
            return null;
        }

        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(fileName);
            return IsExecutableFile(full) ? full : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.GetFullPath(Path.Combine(dir, fileName));
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        return null;

        static bool IsExecutableFile(string path) =>
            File.Exists(path)
            && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }

    private bool? IsMarked(ProcessTable.Entry entry, Dictionary<(int Pid, ulong StartTime), bool> marked)
    {
        if (marked.TryGetValue((entry.Pid, entry.StartTime), out var known))
        {
            return known;
        }

        var isMarked = ProcessTable.HasEnvironmentVariable(entry.Pid, _marker!);
        if (isMarked is { } answer)
        {
            // Only answers are kept: an environment read empty (mid-exec) is asked again on the next scan.
            marked[(entry.Pid, entry.StartTime)] = answer;
        }

        return isMarked;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to each process not yet in <paramref name="signaled"/> (to each when it is
    /// null), and with <paramref name="group"/> to the command's process group too.
    /// </summary>
    private void Signal(List<ProcessTable.Entry> processes, int signal, HashSet<int>? signaled, bool group)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // The group as a whole: atomic against members forking meanwhile. Only while a live process still has it
        // as its group, so that the number cannot have been reused by an unrelated group.
        if (group && processes.Exists(p => p.ProcessGroup == _leader))
        {
            _ = LibC.Kill(-_leader, signal);
        }

        foreach (var process in processes)
        {
            if (signaled?.Add(process.Pid) ?? true)
            {
                // The pid was seen alive a moment ago; its reuse in between is possible in theory and accepted.
                _ = LibC.Kill(process.Pid, signal);
            }
        }
    }

    /// <summary>
    /// Waits (bounded: <paramref name="limit"/> plus a second) until the runtime has reaped the command: a dead
    /// child stays a zombie, with its /proc entry, until then.
    /// </summary>
    private async Task WaitForExitAsync(TimeSpan limit)
    {
        try
        {
            await Process.WaitForExitAsync(CancellationToken.None).WaitAsync(limit + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already exited.
        }
    }
}
