namespace Herald.Server.Agents;

/// <summary>
/// An agent: code that handles one message at a time. Each call runs in the background, not tied to
/// the HTTP request that brought the message; it reports progress and results through the context.
/// </summary>
/// <remarks>
/// Returning without reaching a terminal or interrupted state completes the task. Throwing fails it
/// with a safe message (the exception is logged, not sent). The token is canceled when a client
/// cancels the task or the server shuts down.
/// </remarks>
public interface IAgent
{
    Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken);
}
