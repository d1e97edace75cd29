using System.Threading.Channels;
using Herald.Server.Agents;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// An agent the test drives step by step: each step the test posts runs in the agent; the agent
/// returns when the test completes the script. Records cancellation of the agent's token.
/// </summary>
internal sealed class ScriptedAgent
{
    private readonly Channel<Func<AgentContext, CancellationToken, ValueTask>> _steps = Channel.CreateUnbounded<Func<AgentContext, CancellationToken, ValueTask>>();

    public TaskCompletionSource Canceled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<string> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => Canceled.TrySetResult());
        await context.StartWorkAsync(cancellationToken: cancellationToken);
        Started.TrySetResult(context.TaskId);
        await foreach (var step in _steps.Reader.ReadAllAsync(cancellationToken))
        {
            await step(context, cancellationToken);
        }
    }

    public void Post(Func<AgentContext, CancellationToken, ValueTask> step) => _steps.Writer.TryWrite(step);

    public void Chunk(string text) => Post((c, ct) => c.AppendTextAsync("out", text, cancellationToken: ct));

    public void Complete() => Post((c, ct) => c.CompleteAsync(cancellationToken: ct));

    public void End() => _steps.Writer.TryComplete();
}
