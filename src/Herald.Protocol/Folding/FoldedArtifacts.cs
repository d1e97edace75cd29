namespace Herald.Protocol.Folding;

/// <summary>
/// A task's artifacts held in memory and changed by <see cref="TaskDelta"/>s: each artifact keeps its parts in a
/// list that chunks extend in place, so applying a delta costs O(the event's size), whatever the artifact's size.
/// Used by folds that keep a task in memory; a store keeps its own representation and applies the delta to it.
/// Not thread-safe.
/// </summary>
public sealed class FoldedArtifacts
{
    private readonly List<Entry> _artifacts = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    /// <summary>How many artifacts there are.</summary>
    public int Count => _artifacts.Count;

    /// <summary>Whether there is an artifact with this id: the fact <see cref="EventFold"/> needs for an artifact event.</summary>
    public bool Contains(string artifactId) => _index.ContainsKey(artifactId);

    /// <summary>Applies the artifact part of a delta (nothing when it changes no artifact).</summary>
    public void Apply(in TaskDelta delta)
    {
        switch (delta.ArtifactChange)
        {
            case ArtifactChange.Add:
                _index[delta.ArtifactId!] = _artifacts.Count;
                _artifacts.Add(new Entry(delta));
                break;
            case ArtifactChange.Replace:
                _artifacts[_index[delta.ArtifactId!]] = new Entry(delta);
                break;
            case ArtifactChange.Extend:
                _artifacts[_index[delta.ArtifactId!]].Extend(delta);
                break;
        }
    }

    /// <summary>The parts of the artifact with this id, as they are now; null when there is no such artifact.</summary>
    public IReadOnlyList<Part>? GetParts(string artifactId) => _index.TryGetValue(artifactId, out var i) ? _artifacts[i].Parts : null;

    /// <summary>A copy of the artifacts in order; O(their size), so taken when a task is asked for, not per event.</summary>
    public Artifact[] ToArray()
    {
        var copy = new Artifact[_artifacts.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = _artifacts[i].ToArtifact();
        }

        return copy;
    }

    /// <summary>Removes every artifact.</summary>
    public void Clear()
    {
        _artifacts.Clear();
        _index.Clear();
    }

    private sealed class Entry(in TaskDelta added)
    {
        private readonly List<Part> _parts = [.. added.ArtifactParts];
        private Artifact _header = added.ArtifactHeader();

        public IReadOnlyList<Part> Parts => _parts;

        public void Extend(in TaskDelta chunk)
        {
            _parts.AddRange(chunk.ArtifactParts);
            if (chunk.ChangesArtifactHeader)
            {
                _header = chunk.ArtifactHeader(_header);
            }
        }

        public Artifact ToArtifact() => _header with { Parts = _parts.ToArray() };
    }
}
