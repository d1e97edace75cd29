using System.Text.Json;
using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// The fold of a task's events into its current state, kept mutable so that each event costs O(1)
/// in the size of the task: appending a chunk adds parts to a list, it never copies the artifact.
/// Not thread-safe; stores guard it with the same lock as the log.
/// </summary>
internal sealed class TaskProjection
{
    private readonly List<Message> _history = [];
    private readonly List<ArtifactState> _artifacts = [];
    private readonly Dictionary<string, int> _artifactIndex = new(StringComparer.Ordinal);

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
                Upsert(artifact, append: false);
            }
        }
    }

    public string Id { get; }

    public string ContextId { get; }

    public AgentTaskStatus Status { get; private set; }

    public Dictionary<string, JsonElement>? Metadata { get; }

    /// <summary>The sequence of the last event folded in.</summary>
    public long Sequence { get; private set; } = 1;

    /// <summary>When the status last changed; the ListTasks sort key.</summary>
    public DateTimeOffset StatusTimestamp => Status.Timestamp ?? DateTimeOffset.MinValue;

    public int HistoryCount => _history.Count;

    /// <summary>Folds one event in. The caller has checked that the task is not terminal.</summary>
    public void Apply(TaskEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e.Kind)
        {
            case TaskEventKind.Message:
                _history.Add(e.Message!);
                break;
            case TaskEventKind.Status:
                Status = e.StatusUpdate!.Status;
                if (Status.Message is { } agentMessage)
                {
                    _history.Add(agentMessage);
                }

                break;
            case TaskEventKind.Artifact:
                var update = e.ArtifactUpdate!;
                Upsert(update.Artifact, update.Append == true);
                break;
            default:
                throw new InvalidOperationException($"A '{e.Kind}' event cannot be applied to an existing task.");
        }

        Sequence = e.Sequence;
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
            var list = new Artifact[_artifacts.Count];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = _artifacts[i].ToArtifact();
            }

            artifacts = list;
        }

        return new AgentTask
        {
            Id = Id,
            ContextId = ContextId,
            Status = Status,
            Artifacts = artifacts,
            History = history,
            Metadata = Metadata,
        };
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

        // Appending to an artifact we have never seen starts it: no chunk is dropped.
        _artifactIndex[artifact.ArtifactId] = _artifacts.Count;
        _artifacts.Add(new ArtifactState(artifact));
    }

    private sealed class ArtifactState(Artifact first)
    {
        private readonly List<Part> _parts = [.. first.Parts];
        private Artifact _header = first;

        public void Append(Artifact chunk)
        {
            _parts.AddRange(chunk.Parts);
            if (chunk.Name is not null || chunk.Description is not null || chunk.Metadata is not null || chunk.Extensions is not null)
            {
                _header = _header with
                {
                    Name = chunk.Name ?? _header.Name,
                    Description = chunk.Description ?? _header.Description,
                    Metadata = chunk.Metadata ?? _header.Metadata,
                    Extensions = chunk.Extensions ?? _header.Extensions,
                };
            }
        }

        public Artifact ToArtifact() => _header with { Parts = _parts.ToArray() };
    }
}
