namespace Herald.Protocol.Folding;

/// <summary>
/// What one event changes in a task, as computed by <see cref="EventFold"/>: a message added to the history, a
/// new status, and one artifact added, replaced or extended. Whoever holds a task (a server's projection, a
/// store's tables, a client's fold) applies the delta to its own representation; the rules live only in
/// <see cref="EventFold"/>. Applying a delta costs O(the event's size), never O(the task's size).
/// </summary>
public readonly record struct TaskDelta
{
    private readonly Artifact? _artifact;

    internal TaskDelta(Message? historyAppend, AgentTaskStatus? statusSet, ArtifactChange artifactChange, Artifact? artifact, bool changesHeader)
    {
        HistoryAppend = historyAppend;
        StatusSet = statusSet;
        ArtifactChange = artifactChange;
        _artifact = artifact;
        ChangesArtifactHeader = changesHeader;
    }

    /// <summary>The message to add at the end of the history; null when the history is unchanged.</summary>
    public Message? HistoryAppend { get; }

    /// <summary>The task's new status; null when the status is unchanged.</summary>
    public AgentTaskStatus? StatusSet { get; }

    /// <summary>What happens to the artifact named by <see cref="ArtifactId"/>.</summary>
    public ArtifactChange ArtifactChange { get; }

    /// <summary>The id of the artifact added, replaced or extended; null when <see cref="ArtifactChange"/> is <see cref="ArtifactChange.None"/>.</summary>
    public string? ArtifactId => _artifact?.ArtifactId;

    /// <summary>The parts to put after the artifact's (remaining) parts: all its parts when added or replaced, the chunk's when extended.</summary>
    public IReadOnlyList<Part> ArtifactParts => (IReadOnlyList<Part>?)_artifact?.Parts ?? [];

    /// <summary>True when the artifact's header (everything but its parts) changes: always for an add or a replace.</summary>
    public bool ChangesArtifactHeader { get; }

    /// <summary>
    /// The artifact's header after the event, without parts (<see cref="Artifact.Parts"/> empty): for an add or a replace,
    /// the event's artifact; for an extension, <paramref name="current"/> with the chunk's name, description and
    /// extensions, and its metadata merged key by key (the chunk's values win). Costs O(the header's size); callers
    /// that keep the header serialized need to read it only when <see cref="ChangesArtifactHeader"/> is true.
    /// </summary>
    /// <param name="current">The artifact's header before the event; used, and required, only for <see cref="ArtifactChange.Extend"/>.</param>
    public Artifact ArtifactHeader(Artifact? current = null)
    {
        var chunk = _artifact ?? throw new InvalidOperationException("The event changes no artifact.");
        if (ArtifactChange != ArtifactChange.Extend)
        {
            return chunk.Parts.Count == 0 ? chunk : chunk with { Parts = [] };
        }

        ArgumentNullException.ThrowIfNull(current);
        if (!ChangesArtifactHeader)
        {
            return current.Parts.Count == 0 ? current : current with { Parts = [] };
        }

        return current with
        {
            Parts = [],
            Name = chunk.Name ?? current.Name,
            Description = chunk.Description ?? current.Description,
            Metadata = EventFold.MergeMetadata(current.Metadata, chunk.Metadata),
            Extensions = EventFold.UnionExtensions(current.Extensions, chunk.Extensions),
        };
    }
}
