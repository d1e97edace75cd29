using System.Text.Json;
using Herald.Protocol;
using Herald.Protocol.Folding;

namespace Herald.Server.Storage;

/// <summary>
/// The fold of a task's events into its current state, kept mutable so that each event costs O(1)
/// in the size of the task: appending a chunk adds parts to a list, it never copies the artifact.
/// Not thread-safe; stores guard it with the same lock as the log.
/// </summary>
internal sealed class TaskProjection
{
    private readonly List<Message> _history = [];
    private readonly FoldedArtifacts _artifacts = new();

    public TaskProjection(AgentTask created)
    {
        ArgumentNullException.ThrowIfNull(created);
        Id = created.Id;
        ContextId = created.ContextId ?? "";
        Status = created.Status;
        Metadata = created.Metadata;
        if (created.History is { } history)
        {
            _history.AddRange(history);
        }

        if (created.Artifacts is { } artifacts)
        {
            foreach (var artifact in artifacts)
            {
                Apply(EventFold.Artifact(artifact, _artifacts.Contains(artifact.ArtifactId)));
            }
        }
    }

    public string Id { get; }

    public string ContextId { get; }

    public AgentTaskStatus Status { get; private set; }

    public Dictionary<string, JsonElement>? Metadata { get; }

    /// <summary>The task's generation after the last event folded in (see <see cref="TaskEvent.Generation"/>).</summary>
    public long Generation { get; private set; } = 1;

    /// <summary>The sequence of the last event folded in.</summary>
    public long Sequence { get; private set; } = 1;

    /// <summary>When the status last changed; the ListTasks sort key.</summary>
    public DateTimeOffset StatusTimestamp => Status.Timestamp ?? DateTimeOffset.MinValue;

    public int HistoryCount => _history.Count;

    /// <summary>Folds one event in. The caller has checked that the task is not terminal.</summary>
    public void Apply(TaskEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Apply(e.Kind switch
        {
            TaskEventKind.Message => EventFold.Message(e.Message!),
            TaskEventKind.Status => EventFold.StatusUpdate(e.StatusUpdate!),
            TaskEventKind.Artifact => EventFold.ArtifactUpdate(e.ArtifactUpdate!, _artifacts.Contains(e.ArtifactUpdate!.Artifact.ArtifactId)),
            _ => throw new InvalidOperationException($"A '{e.Kind}' event cannot be applied to an existing task."),
        });
        Sequence = e.Sequence;
        Generation = TaskEvent.NextGeneration(Generation, e.Kind);
    }

    /// <summary>An immutable copy for callers; O(size of the task), so taken per request, never per event.</summary>
    public AgentTask ToTask(int? historyLength = null, bool includeArtifacts = true)
    {
        IReadOnlyList<Message>? history = null;
        if (historyLength is not 0 && _history.Count > 0)
        {
            var take = historyLength is > 0 and var n ? Math.Min(n, _history.Count) : _history.Count;
            history = _history.GetRange(_history.Count - take, take).ToArray();
        }

        IReadOnlyList<Artifact>? artifacts = null;
        if (includeArtifacts)
        {
            artifacts = _artifacts.ToArray();
        }

        return new AgentTask
        {
            Id = Id,
            ContextId = ContextId,
            Status = Status,
            Artifacts = artifacts,
            History = history,
            Metadata = Metadata,
            Generation = Generation,
        };
    }

    private void Apply(in TaskDelta delta)
    {
        if (delta.StatusSet is { } status)
        {
            Status = status;
        }

        if (delta.HistoryAppend is { } message)
        {
            _history.Add(message);
        }

        _artifacts.Apply(delta);
    }
}
