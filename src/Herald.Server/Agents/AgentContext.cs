using System.Text.Json;
using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Agents;

/// <summary>
/// What an agent sees of the message it handles and how it reports back. Every report is an event
/// appended to the task's log, in the order made; reports are written in the background, several per
/// durable write, and a report that ends or pauses the task waits until everything before it is written.
/// With <see cref="AgentResponseMode.Task"/> (the default) the task exists before the agent runs; with
/// <see cref="AgentResponseMode.MessageOrTask"/> it is created by the first report, so an agent that
/// answers with <see cref="ReplyAsync(Message, CancellationToken)"/> creates no task at all.
/// </summary>
public sealed class AgentContext
{
    private readonly TaskEngine _engine;
    private readonly AgentRun _run;
    private readonly HashSet<string> _startedArtifacts = new(StringComparer.Ordinal);

    internal AgentContext(TaskEngine engine, AgentRun run)
    {
        _engine = engine;
        _run = run;

        // On a follow-up turn, text for an artifact of an earlier turn extends it rather than replacing it.
        foreach (var artifact in run.ExistingTask?.Artifacts ?? [])
        {
            _startedArtifacts.Add(artifact.ArtifactId);
        }
    }

    /// <summary>The id of the task this message belongs to (existing, or the one the first report creates).</summary>
    public string TaskId => _run.TaskId;

    public string ContextId => _run.ContextId;

    /// <summary>
    /// On whose behalf the agent runs: the task's owner (the caller that created it, in its tenant); <see cref="Caller.Anonymous"/>
    /// on an open server. Agent code uses it to act for that principal (and it is the same on whichever process runs the task).
    /// </summary>
    public Caller Caller => Caller.Of(_run.Owner);

    /// <summary>The message being handled.</summary>
    public Message Message => _run.Message;

    /// <summary>The text parts of <see cref="Message"/> joined.</summary>
    public string UserText => _run.Message.GetText();

    /// <summary>The task as it was when this message arrived, for a follow-up turn; null for a new task.</summary>
    public AgentTask? ExistingTask => _run.ExistingTask;

    /// <summary>True when this message continues an existing (input- or auth-required) task.</summary>
    public bool IsContinuation => _run.ExistingTask is not null;

    /// <summary>The output media types the client accepts, if it said.</summary>
    public IReadOnlyList<string>? AcceptedOutputModes => _run.Request.Configuration?.AcceptedOutputModes;

    /// <summary>Metadata sent with the request.</summary>
    public Dictionary<string, JsonElement>? RequestMetadata => _run.Request.Metadata;

    /// <summary>Moves the task to working, with an optional progress text.</summary>
    public ValueTask StartWorkAsync(string? text = null, CancellationToken cancellationToken = default) =>
        UpdateStatusAsync(TaskState.Working, text is null ? null : Protocol.Message.AgentText(text), cancellationToken);

    /// <summary>Reports a status, with an optional message from the agent.</summary>
    public async ValueTask UpdateStatusAsync(TaskState state, Message? message = null, CancellationToken cancellationToken = default)
    {
        var draft = StatusDraft(state, message);
        await EnsureTaskAsync(cancellationToken).ConfigureAwait(false);
        await _run.Writer.ReportAsync(draft, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reports a status with a text message from the agent.</summary>
    public ValueTask UpdateStatusAsync(TaskState state, string text, CancellationToken cancellationToken = default) =>
        UpdateStatusAsync(state, Protocol.Message.AgentText(text), cancellationToken);

    /// <summary>
    /// Adds an artifact, replaces one with the same id, or (with <paramref name="append"/>) extends it with
    /// more parts; <paramref name="lastChunk"/> marks the final chunk.
    /// </summary>
    public async ValueTask AddArtifactAsync(Artifact artifact, bool append = false, bool lastChunk = false, CancellationToken cancellationToken = default)
    {
        var draft = ArtifactDraft(artifact, append, lastChunk);
        await EnsureTaskAsync(cancellationToken).ConfigureAwait(false);
        await _run.Writer.ReportAsync(draft, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Streams text into an artifact: the first call for an id creates it, later calls append a chunk.
    /// </summary>
    public ValueTask AppendTextAsync(string artifactId, string text, bool lastChunk = false, string? name = null, CancellationToken cancellationToken = default)
    {
        var append = _startedArtifacts.Contains(artifactId);
        var artifact = new Artifact { ArtifactId = artifactId, Name = append ? null : name, Parts = [Part.FromText(text)] };
        return AddArtifactAsync(artifact, append, lastChunk, cancellationToken);
    }

    /// <summary>Completes the task, optionally with a final text message.</summary>
    public ValueTask CompleteAsync(string? text = null, CancellationToken cancellationToken = default) =>
        UpdateStatusAsync(TaskState.Completed, text is null ? null : Protocol.Message.AgentText(text), cancellationToken);

    /// <summary>Fails the task with a reason the client will see.</summary>
    public ValueTask FailAsync(string reason, CancellationToken cancellationToken = default) =>
        UpdateStatusAsync(TaskState.Failed, reason, cancellationToken);

    /// <summary>Rejects the task (the agent will not do this work).</summary>
    public ValueTask RejectAsync(string reason, CancellationToken cancellationToken = default) =>
        UpdateStatusAsync(TaskState.Rejected, reason, cancellationToken);

    /// <summary>Pauses the task until the client sends another message with this task id.</summary>
    public ValueTask RequireInputAsync(string prompt, CancellationToken cancellationToken = default) =>
        UpdateStatusAsync(TaskState.InputRequired, prompt, cancellationToken);

    /// <summary>Pauses the task until the client has authenticated and sends another message.</summary>
    public ValueTask RequireAuthAsync(string prompt, CancellationToken cancellationToken = default) =>
        UpdateStatusAsync(TaskState.AuthRequired, prompt, cancellationToken);

    /// <summary>
    /// Answers with a direct message and no task. Only possible before any other report, and not on a
    /// follow-up turn of an existing task. A message that had to wait for a run (see <see cref="HeraldOptions.MaxConcurrentRuns"/>)
    /// already has a task: the reply completes it, as its final status message.
    /// </summary>
    public ValueTask ReplyAsync(Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_engine.ResponseMode != AgentResponseMode.MessageOrTask)
        {
            throw new InvalidOperationException(
                "This agent was registered with AgentResponseMode.Task, so every message already has a task; report a status message instead, " +
                "or register the agent with AddAgent<T>(AgentResponseMode.MessageOrTask) to answer with direct messages.");
        }

        if (_run.Claimed)
        {
            // The message waited in the store as a task (it was accepted where no run could start), so the reply ends that task.
            return UpdateStatusAsync(TaskState.Completed, message, cancellationToken);
        }

        if (_run.TaskExists)
        {
            throw new InvalidOperationException("A direct reply is only possible before the task exists; report a status message instead.");
        }

        _run.Reply(message with { Role = Role.Agent, ContextId = ContextId, TaskId = null });
        return ValueTask.CompletedTask;
    }

    /// <summary>Answers with a direct text message and no task.</summary>
    public ValueTask ReplyAsync(string text, CancellationToken cancellationToken = default) =>
        ReplyAsync(Protocol.Message.AgentText(text), cancellationToken);

    /// <summary>
    /// Starts a batch: reports added to it are written to the task's log together, in one durable write,
    /// when it is sent (an agent handing over several chunks at once).
    /// </summary>
    public AgentReportBatch CreateBatch() => new(this);

    /// <summary>
    /// Waits until everything reported so far is durably in the task's log. Reports are ordered and written
    /// in the background (several at a time), so an agent need not wait for each one; a report that ends or
    /// pauses the task waits by itself. Throws if the store refused a report (the task was ended from outside).
    /// </summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _run.Writer.FlushAsync(cancellationToken);

    /// <summary>Creates the task now if no report has yet (the engine also does this when needed).</summary>
    public ValueTask EnsureTaskAsync(CancellationToken cancellationToken = default) =>
        _run.TaskExists ? ValueTask.CompletedTask : _engine.CreateTaskForRunAsync(_run, cancellationToken);

    internal TaskEvent StatusDraft(TaskState state, Message? message)
    {
        if (state == TaskState.Unspecified)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "A status update needs a state.");
        }

        message = message is null ? null : message with { TaskId = TaskId, ContextId = ContextId, Role = Role.Agent };
        return _engine.StatusDraft(TaskId, ContextId, state, message);
    }

    internal TaskEvent ArtifactDraft(Artifact artifact, bool append, bool lastChunk)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        _startedArtifacts.Add(artifact.ArtifactId);
        return _engine.ArtifactDraft(TaskId, ContextId, artifact, append, lastChunk);
    }

    internal bool HasStartedArtifact(string artifactId) => _startedArtifacts.Contains(artifactId);

    internal async ValueTask SendBatchAsync(IReadOnlyList<TaskEvent> drafts, CancellationToken cancellationToken)
    {
        await EnsureTaskAsync(cancellationToken).ConfigureAwait(false);
        await _run.Writer.ReportAsync(drafts, cancellationToken).ConfigureAwait(false);
    }
}
