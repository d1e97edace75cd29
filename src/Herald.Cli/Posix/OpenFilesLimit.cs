using System.Runtime.InteropServices;

namespace Herald.Cli.Posix;

/// <summary>
/// The process's open-files limit (RLIMIT_NOFILE). Every connection is a file descriptor, so this limit, not memory,
/// is what a connection flood exhausts first; past it the runtime cannot create a socket, a pipe or a thread handle
/// and the process dies.
/// </summary>
internal static class OpenFilesLimit
{
    /// <summary>
    /// Never raised past this, nor counted beyond it for the connection budget: past a million connections memory,
    /// not descriptors, is the bound.
    /// </summary>
    public const ulong Ceiling = 1 << 20;

    /// <summary>
    /// Raises the soft limit to the hard one (any process may do that; only root may raise the hard limit), at most
    /// to <see cref="Ceiling"/>, and returns the soft limit now in force, or null where it cannot be read (not Linux).
    /// The .NET runtime on Linux already raises it when it starts (so commands Herald starts inherit the raised
    /// limit, as with any .NET process); doing it here states the requirement instead of relying on that.
    /// </summary>
    public static ulong? RaiseSoftToHard()
    {
        if (!OperatingSystem.IsLinux() || LibC.GetRLimit(LibC.RLIMIT_NOFILE, out var limit) != 0)
        {
            return null;
        }

        var target = Math.Min(limit.Maximum, Ceiling);
        if (limit.Current < target)
        {
            var raised = limit with { Current = target };
            if (LibC.SetRLimit(LibC.RLIMIT_NOFILE, raised) == 0)
            {
                return raised.Current;
            }

            // Refused (e.g. a hard limit above fs.nr_open): keep the soft limit we have.
            _ = Marshal.GetLastPInvokeError();
        }

        return limit.Current;
    }

    /// <summary>How many descriptors the process has open right now (what the runtime, logs and stores already use).</summary>
    public static int CountOpen()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
