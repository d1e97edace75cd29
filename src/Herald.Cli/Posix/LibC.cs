using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Herald.Cli.Posix;

/// <summary>The few libc calls .NET has no managed API for: sending a chosen signal, and the open-files limit (Linux values).</summary>
internal static partial class LibC
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>RLIMIT_NOFILE on Linux (the number differs on other systems, which is why this class is Linux-only).</summary>
    public const int RLIMIT_NOFILE = 7;

    /// <summary><c>struct rlimit</c>: <c>rlim_t</c> is an unsigned 64-bit integer on every 64-bit Linux ABI .NET runs on.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    /// <summary><c>kill(2)</c>: a negative <paramref name="pid"/> signals the whole process group.</summary>
    [SupportedOSPlatform("linux")]
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [SupportedOSPlatform("linux")]
    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, out RLimit limit);

    [SupportedOSPlatform("linux")]
    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, in RLimit limit);
}
