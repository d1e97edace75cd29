namespace Herald.Server;

/// <summary>How the engine treats a sent message beyond what the request itself says; for bindings of wire dialects that differ from v1.0.</summary>
public sealed record SendOptions
{
    /// <summary>Sending as no v1.0 client does: the default.</summary>
    public static SendOptions Default { get; } = new();

    /// <summary>
    /// The message's <c>taskId</c> was chosen by the client (the A2A tutorial era's <c>tasks/send</c>): a task
    /// that does not exist yet is created under that id, one that waits for input is continued, and any other
    /// existing task refuses the message. Without it, a <c>taskId</c> must name an existing task (-32001 otherwise).
    /// The id must be 1 to <see cref="MaxClientTaskIdLength"/> characters without control characters (-32602).
    /// </summary>
    public bool CreateTaskWithClientId { get; init; }

    /// <summary>The longest task id a client may choose.</summary>
    public const int MaxClientTaskIdLength = 256;
}
