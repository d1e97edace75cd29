using System.Text;
using System.Text.Json;
using Herald.Protocol;
using Herald.Protocol.Folding;

namespace Herald.Client;

/// <summary>
/// Folds stream items into the current task, for callers who want the result rather than the events:
/// a Task item replaces the state; status updates, artifact updates and messages change it by the same
/// rules as on the server (<see cref="EventFold"/>). Each item costs O(its own size); <see cref="Task"/>
/// is built on demand. Not thread-safe.
/// </summary>
public sealed class TaskFold
{
    private readonly List<Message> _history = [];
    private readonly FoldedArtifacts _artifacts = new();
    private readonly HashSet<string> _lastChunkSeen = new(StringComparer.Ordinal);
    private string? _id;
    private string? _contextId;
    private AgentTaskStatus _status = new();
    private Dictionary<string, JsonElement>? _metadata;
    private bool _artifactsPresent;
    private bool _historyPresent;
    private AgentTask? _built;
    private long? _generation;

    /// <summary>The current task; null until an item named one (or when the stream was a direct message).</summary>
    public AgentTask? Task => _id is null ? null : _built ??= Build();

    /// <summary>The agent's direct reply, when the stream was a single message and no task.</summary>
    public Message? Message { get; private set; }

    /// <summary>The current task state, when there is a task.</summary>
    public TaskState? State => _id is null ? null : _status.State;

    /// <summary>True once a direct message, or a terminal or interrupted state, was folded in: the stream is over.</summary>
    public bool IsFinished => (Message is not null && _id is null) || (_id is not null && _status.State.EndsStream());

    /// <summary>How many items were folded in.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// True when the artifact's last chunk arrived (<c>lastChunk</c>), or the task is terminal and has the artifact.
    /// </summary>
    public bool IsArtifactComplete(string artifactId) =>
        _artifacts.Contains(artifactId) && (_lastChunkSeen.Contains(artifactId) || _status.State.IsTerminal());

    /// <summary>The text parts of an artifact joined; null when there is no such artifact.</summary>
    public string? GetArtifactText(string artifactId)
    {
        if (_artifacts.GetParts(artifactId) is not { } parts)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var part in parts)
        {
            text.Append(part.Text);
        }

        return text.ToString();
    }

    /// <summary>Folds in one stream item.</summary>
    public void Apply(StreamEvent streamEvent)
    {
        ArgumentNullException.ThrowIfNull(streamEvent);
        Apply(streamEvent.Response);
    }

    /// <summary>Folds in one stream item.</summary>
    public void Apply(StreamResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _built = null;
        Count++;
        if (response.Task is { } task)
        {
            Replace(task);
            _generation = task.Generation;
        }
        else if (response.StatusUpdate is { } status)
        {
            EnsureTask(status.TaskId, status.ContextId);
            _generation = status.Generation ?? _generation;
            Apply(EventFold.StatusUpdate(status));
        }
        else if (response.ArtifactUpdate is { } update)
        {
            EnsureTask(update.TaskId, update.ContextId);
            _generation = update.Generation ?? _generation;
            var id = update.Artifact.ArtifactId;
            var delta = EventFold.ArtifactUpdate(update, _artifacts.Contains(id));
            Apply(delta);

            // Completeness is the stream's news, not the task's: a chunk says it is the last one; a new start forgets that.
            if (update.LastChunk == true)
            {
                _lastChunkSeen.Add(id);
            }
            else if (delta.ArtifactChange != ArtifactChange.Extend)
            {
                _lastChunkSeen.Remove(id);
            }
        }
        else if (response.Message is { } message)
        {
            if (_id is null)
            {
                Message = message;
            }
            else
            {
                Apply(EventFold.Message(message));
            }
        }
    }

    /// <summary>Folds a whole stream; returns when it ends.</summary>
    public static async Task<TaskFold> FoldAsync(IAsyncEnumerable<StreamResponse> stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var fold = new TaskFold();
        await foreach (var item in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            fold.Apply(item);
        }

        return fold;
    }

    /// <summary>Folds a whole stream; returns when it ends.</summary>
    public static async Task<TaskFold> FoldAsync(IAsyncEnumerable<StreamEvent> stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var fold = new TaskFold();
        await foreach (var item in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            fold.Apply(item.Response);
        }

        return fold;
    }

    private void Replace(AgentTask task)
    {
        _id = task.Id;
        _contextId = task.ContextId;
        _status = task.Status;
        _metadata = task.Metadata;
        _history.Clear();
        _historyPresent = task.History is not null;
        if (task.History is { } history)
        {
            _history.AddRange(history);
        }

        _artifacts.Clear();
        _artifactsPresent = task.Artifacts is not null;
        foreach (var artifact in task.Artifacts ?? [])
        {
            Apply(EventFold.Artifact(artifact, _artifacts.Contains(artifact.ArtifactId)));
        }

        _lastChunkSeen.RemoveWhere(id => !_artifacts.Contains(id));
    }

    private void EnsureTask(string taskId, string contextId)
    {
        if (_id is null)
        {
            _id = taskId;
            _contextId = contextId;
        }
    }

    private void Apply(in TaskDelta delta)
    {
        if (delta.StatusSet is { } status)
        {
            _status = status;
        }

        if (delta.HistoryAppend is { } message)
        {
            _history.Add(message);
            _historyPresent = true;
        }

        if (delta.ArtifactChange != ArtifactChange.None)
        {
            _artifacts.Apply(delta);
            _artifactsPresent = true;
        }
    }

    private AgentTask Build() => new()
    {
        Generation = _generation,
        Id = _id!,
        ContextId = _contextId,
        Status = _status,
        Artifacts = _artifactsPresent ? _artifacts.ToArray() : null,
        History = _historyPresent ? _history.ToArray() : null,
        Metadata = _metadata,
    };
}
