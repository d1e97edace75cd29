using System.Text;
using System.Text.Json;
using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// Folds stream items into the current task, for callers who want the result rather than the events:
/// a Task item replaces the state, status updates set the status (their messages join the history, as
/// on the server), artifact updates add or replace an artifact or, with <c>append</c>, add their parts
/// to it. Each item costs O(its own size); <see cref="Task"/> is built on demand. Not thread-safe.
/// </summary>
public sealed class TaskFold
{
    private readonly List<Message> _history = [];
    private readonly List<ArtifactState> _artifacts = [];
    private readonly Dictionary<string, int> _artifactIndex = new(StringComparer.Ordinal);
    private readonly HashSet<string> _lastChunkSeen = new(StringComparer.Ordinal);
    private string? _id;
    private string? _contextId;
    private AgentTaskStatus _status = new();
    private Dictionary<string, JsonElement>? _metadata;
    private bool _artifactsPresent;
    private bool _historyPresent;
    private AgentTask? _built;

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
        _artifactIndex.ContainsKey(artifactId) && (_lastChunkSeen.Contains(artifactId) || _status.State.IsTerminal());

    /// <summary>The text parts of an artifact joined; null when there is no such artifact.</summary>
    public string? GetArtifactText(string artifactId)
    {
        if (!_artifactIndex.TryGetValue(artifactId, out var index))
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var part in _artifacts[index].Parts)
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
        }
        else if (response.StatusUpdate is { } status)
        {
            EnsureTask(status.TaskId, status.ContextId);
            _status = status.Status;
            if (status.Status.Message is { } agentMessage)
            {
                _history.Add(agentMessage);
                _historyPresent = true;
            }
        }
        else if (response.ArtifactUpdate is { } update)
        {
            EnsureTask(update.TaskId, update.ContextId);
            var id = update.Artifact.ArtifactId;
            Upsert(update.Artifact, update.Append == true);
            _artifactsPresent = true;
            if (update.LastChunk == true)
            {
                _lastChunkSeen.Add(id);
            }
            else if (update.Append != true)
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
                _history.Add(message);
                _historyPresent = true;
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
        _artifactIndex.Clear();
        _artifactsPresent = task.Artifacts is not null;
        foreach (var artifact in task.Artifacts ?? [])
        {
            Upsert(artifact, append: false);
        }

        _lastChunkSeen.IntersectWith(_artifactIndex.Keys);
    }

    private void EnsureTask(string taskId, string contextId)
    {
        if (_id is null)
        {
            _id = taskId;
            _contextId = contextId;
        }
    }

    private void Upsert(Artifact artifact, bool append)
    {
        if (_artifactIndex.TryGetValue(artifact.ArtifactId, out var index))
        {
            if (append)
            {
                _artifacts[index].Append(artifact);
            }
            else
            {
                _artifacts[index] = new ArtifactState(artifact);
            }

            return;
        }

        // Appending to an artifact never seen (e.g. joined mid-stream) starts it: no chunk is dropped.
        _artifactIndex[artifact.ArtifactId] = _artifacts.Count;
        _artifacts.Add(new ArtifactState(artifact));
    }

    private AgentTask Build() => new()
    {
        Id = _id!,
        ContextId = _contextId,
        Status = _status,
        Artifacts = _artifactsPresent ? _artifacts.Select(a => a.ToArtifact()).ToArray() : null,
        History = _historyPresent ? _history.ToArray() : null,
        Metadata = _metadata,
    };

    private sealed class ArtifactState(Artifact first)
    {
        private readonly List<Part> _parts = [.. PartsOf(first)];
        private Artifact _header = first;

        public IReadOnlyList<Part> Parts => _parts;

        public void Append(Artifact chunk)
        {
            _parts.AddRange(PartsOf(chunk));
            _header = _header with
            {
                Name = chunk.Name ?? _header.Name,
                Description = chunk.Description ?? _header.Description,
                Metadata = chunk.Metadata ?? _header.Metadata,
                Extensions = chunk.Extensions ?? _header.Extensions,
            };
        }

        public Artifact ToArtifact() => _header with { Parts = _parts.ToArray() };

        // Null when absent on the wire, whatever the annotation says (source-generated init-only members).
        private static IEnumerable<Part> PartsOf(Artifact artifact) => (IEnumerable<Part>?)artifact.Parts ?? [];
    }
}
