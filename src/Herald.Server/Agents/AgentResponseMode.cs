namespace Herald.Server.Agents;

/// <summary>How an agent answers messages; declared when it is registered.</summary>
public enum AgentResponseMode
{
    /// <summary>
    /// Every message gets a task. The task exists, and is listed, from the moment the message is accepted:
    /// a streamed or non-blocking send answers without waiting for agent code.
    /// </summary>
    Task = 0,

    /// <summary>
    /// The agent may answer with a direct message (<see cref="AgentContext.ReplyAsync(Protocol.Message, CancellationToken)"/>)
    /// instead of a task, so a send waits for the agent's first report to learn which it is.
    /// </summary>
    MessageOrTask = 1,
}
