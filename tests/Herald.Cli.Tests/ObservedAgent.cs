using Herald.Server.Agents;

namespace Herald.Cli.Tests;

/// <summary>Wraps an agent to tell a test when its <c>ExecuteAsync</c> has returned (or thrown).</summary>
internal sealed class ObservedAgent(IAgent inner) : IAgent
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Finished => _finished.Task;

    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        try
        {
            await inner.ExecuteAsync(context, cancellationToken);
        }
        finally
        {
            _finished.TrySetResult();
        }
    }
}
