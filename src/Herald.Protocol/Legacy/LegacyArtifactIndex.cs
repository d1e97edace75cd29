namespace Herald.Protocol.Legacy;

/// <summary>
/// Numbers a task's artifacts 0, 1, 2, ... in the order they first appear, since tutorial-era clients
/// tell artifacts apart by <c>index</c> rather than by id. One per stream; not thread-safe.
/// </summary>
public sealed class LegacyArtifactIndex
{
    private readonly Dictionary<string, int> _indexes = new(StringComparer.Ordinal);

    /// <summary>The artifact's index, assigning the next one on first sight.</summary>
    public int IndexOf(string artifactId)
    {
        ArgumentNullException.ThrowIfNull(artifactId);
        if (!_indexes.TryGetValue(artifactId, out var index))
        {
            index = _indexes.Count;
            _indexes.Add(artifactId, index);
        }

        return index;
    }
}
