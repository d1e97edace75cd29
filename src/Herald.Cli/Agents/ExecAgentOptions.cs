namespace Herald.Cli.Agents;

/// <summary>The limits <see cref="ExecAgent"/> applies to the command it runs.</summary>
internal sealed record ExecAgentOptions
{
    public const int DefaultMaxLineBytes = 64 * 1024;

    public static readonly TimeSpan DefaultOutputGracePeriod = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan DefaultKillGracePeriod = TimeSpan.FromSeconds(2);

    public static ExecAgentOptions Default { get; } = new();

    /// <summary>
    /// Longest piece of a stdout line sent as one artifact chunk, in UTF-8 bytes; a longer line is split into
    /// several chunks. It also bounds what the agent buffers, whatever the command writes.
    /// </summary>
    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    /// <summary>
    /// After the command exits, how long its stdout and stderr are still read: a background child that inherited
    /// them may keep them open indefinitely, and the task must not wait for it.
    /// </summary>
    public TimeSpan OutputGracePeriod { get; init; } = DefaultOutputGracePeriod;

    /// <summary>
    /// When the task ends, how long what the command left running gets between SIGTERM and SIGKILL. Keep it well
    /// below the engine's shutdown timeout (5 s), so that shutdown still finds every process gone.
    /// </summary>
    public TimeSpan KillGracePeriod { get; init; } = DefaultKillGracePeriod;
}
