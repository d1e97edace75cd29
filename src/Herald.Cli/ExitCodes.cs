using Herald.Protocol;

namespace Herald.Cli;

/// <summary>
/// The process exit codes of the client verbs, so that scripts can branch on how a task ended.
/// 0 is success: the task completed, or get/list/cancel/card did what was asked.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An error not covered below (a server error, an invalid response, bad input).</summary>
    public const int Error = 1;

    public const int Failed = 2;
    public const int Canceled = 3;
    public const int Rejected = 4;
    public const int InputRequired = 5;
    public const int AuthRequired = 6;

    /// <summary>The server could not be reached, or the connection was lost and could not be resumed.</summary>
    public const int Unreachable = 10;

    /// <summary>The URL does not lead to an A2A agent (no valid agent card).</summary>
    public const int NotAnAgent = 11;

    /// <summary>The agent does not speak the (pinned) protocol version.</summary>
    public const int UnsupportedVersion = 12;

    public const int TaskNotFound = 13;

    /// <summary>The agent card's signature did not verify, or it is unsigned (<c>herald card --verify</c>).</summary>
    public const int CardNotVerified = 14;

    /// <summary>Interrupted by Ctrl+C (128 + SIGINT); the task goes on on the server.</summary>
    public const int Interrupted = 130;

    /// <summary>The help text of the root command (kept next to the codes so the two never disagree).</summary>
    public static readonly string Help =
        "Exit codes (send, subscribe: how the task ended):\n" +
        $"  {Success,3}  completed (get, list, cancel, card: success)\n" +
        $"  {Failed,3}  failed\n" +
        $"  {Canceled,3}  canceled\n" +
        $"  {Rejected,3}  rejected\n" +
        $"  {InputRequired,3}  input required (send again with --task ID)\n" +
        $"  {AuthRequired,3}  auth required\n" +
        $"  {Error,3}  other errors (server error, invalid response, invalid arguments)\n" +
        $"  {Unreachable,3}  server unreachable or connection lost\n" +
        $"  {NotAnAgent,3}  not an A2A agent (no agent card at the URL)\n" +
        $"  {UnsupportedVersion,3}  unsupported protocol version\n" +
        $"  {TaskNotFound,3}  task not found\n" +
        $"  {CardNotVerified,3}  agent card signature not verified (card --verify)\n" +
        $"  {Interrupted,3}  interrupted (Ctrl+C); the task goes on on the server";

    /// <summary>The exit code for a task that ended a stream (or a send) in <paramref name="state"/>.</summary>
    public static int ForState(TaskState? state) => state switch
    {
        TaskState.Failed => Failed,
        TaskState.Canceled => Canceled,
        TaskState.Rejected => Rejected,
        TaskState.InputRequired => InputRequired,
        TaskState.AuthRequired => AuthRequired,
        _ => Success,
    };
}
