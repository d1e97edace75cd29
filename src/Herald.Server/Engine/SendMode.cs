namespace Herald.Server.Engine;

/// <summary>How a sender wants its answer.</summary>
internal enum SendMode
{
    /// <summary>Wait for a terminal or interrupted state (SendMessage default).</summary>
    Blocking,

    /// <summary>Answer as soon as the task exists (return_immediately).</summary>
    Immediate,

    /// <summary>Answer with the task as of acceptance; the caller streams the events after it.</summary>
    Streaming,
}
