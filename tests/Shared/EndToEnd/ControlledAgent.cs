using System.Threading.Channels;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// An agent the test drives step by step: each execution creates its task, announces itself through
/// <see cref="NextRunAsync"/>, then runs exactly the steps the test hands it, so the test decides
/// when every event is produced. It returns when the test calls <see cref="AgentRunHandle.Finish"/>
/// or when its token is canceled.
/// </summary>
public sealed class ControlledAgent : IAgent
{
    private readonly Channel<AgentRunHandle> _runs = Channel.CreateUnbounded<AgentRunHandle>();

    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var run = new AgentRunHandle(context, cancellationToken);
        try
        {
            await context.EnsureTaskAsync(cancellationToken);
            _runs.Writer.TryWrite(run);
            await run.RunStepsAsync();
        }
        finally
        {
            run.MarkReturned();
        }
    }

    /// <summary>The next execution, once its task exists.</summary>
    public Task<AgentRunHandle> NextRunAsync() => _runs.Reader.ReadAsync().Within();
}

/// <summary>One execution of <see cref="ControlledAgent"/>, seen from the test.</summary>
public sealed class AgentRunHandle
{
    private readonly Channel<Step> _steps = Channel.CreateUnbounded<Step>();
    private readonly TaskCompletionSource _canceled = Bounded.NewSignal();
    private readonly TaskCompletionSource _returned = Bounded.NewSignal();

    public AgentRunHandle(AgentContext context, CancellationToken token)
    {
        Context = context;
        Token = token;
        token.Register(() => _canceled.TrySetResult());
    }

    public AgentContext Context { get; }

    public CancellationToken Token { get; }

    public string TaskId => Context.TaskId;

    public string ContextId => Context.ContextId;

    /// <summary>Completes when the agent's cancellation token fires.</summary>
    public Task Canceled => _canceled.Task;

    /// <summary>Completes when ExecuteAsync has returned (or thrown).</summary>
    public Task Returned => _returned.Task;

    /// <summary>Runs <paramref name="action"/> on the agent and waits until it has (so its events are in the log).</summary>
    public Task Do(Func<AgentContext, CancellationToken, ValueTask> action)
    {
        var step = new Step(action, Bounded.NewSignal());
        if (!_steps.Writer.TryWrite(step))
        {
            throw new InvalidOperationException("The agent run has already finished.");
        }

        return step.Done.Task.Within();
    }

    public Task StatusAsync(TaskState state, string? text = null) =>
        Do((c, ct) => c.UpdateStatusAsync(state, text is null ? null : Message.AgentText(text), ct));

    public Task WorkingAsync(string? text = null) => StatusAsync(TaskState.Working, text);

    public Task ArtifactAsync(string text, string artifactId = "out", bool append = false, bool lastChunk = false) =>
        Do((c, ct) => c.AddArtifactAsync(new Artifact { ArtifactId = artifactId, Parts = [Part.FromText(text)] }, append, lastChunk, ct));

    public Task CompleteAsync(string? text = null) => Do((c, ct) => c.CompleteAsync(text, ct));

    /// <summary>Lets ExecuteAsync return once the queued steps have run.</summary>
    public void Finish() => _steps.Writer.TryComplete();

    /// <summary>Finishes and waits until ExecuteAsync has returned.</summary>
    public Task FinishAsync()
    {
        Finish();
        return Returned.Within();
    }

    internal async Task RunStepsAsync()
    {
        await foreach (var step in _steps.Reader.ReadAllAsync(Token))
        {
            try
            {
                await step.Action(Context, Token);
                step.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                step.Done.TrySetException(ex);
                throw;
            }
        }
    }

    internal void MarkReturned() => _returned.TrySetResult();

    private sealed record Step(Func<AgentContext, CancellationToken, ValueTask> Action, TaskCompletionSource Done);
}
