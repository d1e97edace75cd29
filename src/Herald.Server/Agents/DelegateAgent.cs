namespace Herald.Server.Agents;

/// <summary>An agent written as a lambda.</summary>
internal sealed class DelegateAgent(Func<AgentContext, CancellationToken, Task> execute) : IAgent
{
    public Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken) => execute(context, cancellationToken);
}
