using System.Text.Json;

namespace Herald.Protocol.Folding;

/// <summary>
/// The one fold of task events into a task: each function turns one event, and the few facts about the task so far
/// that it depends on, into a <see cref="TaskDelta"/>. Pure: it reads its arguments and changes nothing.
/// </summary>
/// <remarks>
/// The rules: a message joins the history. A status update sets the status, and its message (if any) also joins
/// the history. An artifact update without <c>append</c> adds the artifact, or replaces the one with the same id in
/// its place; with <c>append</c> it adds its parts after those of the artifact with the same id, takes the chunk's
/// name, description and extensions when given and merges its metadata key by key; appending to an artifact the
/// task does not have adds it (no chunk is lost). <c>lastChunk</c>, and the metadata of the update events
/// themselves, describe the update, not the task: they change nothing in it.
/// </remarks>
public static class EventFold
{
    /// <summary>A message added to the task's history (a follow-up turn, or a message item of a stream).</summary>
    public static TaskDelta Message(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new TaskDelta(message, null, ArtifactChange.None, null, changesHeader: false);
    }

    /// <summary>A status update: the status is set and its message, when it has one, joins the history.</summary>
    public static TaskDelta StatusUpdate(TaskStatusUpdateEvent update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var status = update.Status;
        return new TaskDelta(status.Message, status, ArtifactChange.None, null, changesHeader: false);
    }

    /// <summary>An artifact update.</summary>
    /// <param name="update">The event.</param>
    /// <param name="artifactExists">Whether the task already has an artifact with the event's artifact id.</param>
    public static TaskDelta ArtifactUpdate(TaskArtifactUpdateEvent update, bool artifactExists)
    {
        ArgumentNullException.ThrowIfNull(update);
        return Artifact(update.Artifact, update.Append == true, artifactExists);
    }

    /// <summary>
    /// An artifact without an update event around it, as in a task snapshot or a created task: the same as an update
    /// without <c>append</c>.
    /// </summary>
    /// <param name="artifact">The artifact.</param>
    /// <param name="artifactExists">Whether the task already has an artifact with this id.</param>
    public static TaskDelta Artifact(Artifact artifact, bool artifactExists)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return Artifact(artifact, append: false, artifactExists);
    }

    private static TaskDelta Artifact(Artifact artifact, bool append, bool artifactExists)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (!artifactExists)
        {
            return new TaskDelta(null, null, ArtifactChange.Add, artifact, changesHeader: true);
        }

        if (!append)
        {
            return new TaskDelta(null, null, ArtifactChange.Replace, artifact, changesHeader: true);
        }

        var changesHeader = artifact.Name is not null || artifact.Description is not null || artifact.Metadata is { Count: > 0 } || artifact.Extensions is { Count: > 0 };
        return new TaskDelta(null, null, ArtifactChange.Extend, artifact, changesHeader);
    }

    internal static Dictionary<string, JsonElement>? MergeMetadata(Dictionary<string, JsonElement>? current, Dictionary<string, JsonElement>? chunk)
    {
        if (chunk is not { Count: > 0 })
        {
            return current;
        }

        if (current is not { Count: > 0 } || CoversEveryKey(chunk, current))
        {
            // The common case of streamed chunks (each carries the same keys): the merge is the chunk's own metadata,
            // shared instead of copied, so a chunk costs no dictionary.
            return chunk;
        }

        var merged = new Dictionary<string, JsonElement>(current, current.Comparer);
        foreach (var (key, value) in chunk)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static bool CoversEveryKey(Dictionary<string, JsonElement> chunk, Dictionary<string, JsonElement> current)
    {
        if (chunk.Count < current.Count || !ReferenceEquals(chunk.Comparer, current.Comparer))
        {
            return false;
        }

        foreach (var key in current.Keys)
        {
            if (!chunk.ContainsKey(key))
            {
                return false;
            }
        }

        return true;
    }

    internal static IReadOnlyList<string>? UnionExtensions(IReadOnlyList<string>? current, IReadOnlyList<string>? chunk)
    {
        if (chunk is not { Count: > 0 })
        {
            return current;
        }

        if (current is not { Count: > 0 })
        {
            return chunk;
        }

        var union = new List<string>(current);
        foreach (var uri in chunk)
        {
            if (!union.Contains(uri, StringComparer.Ordinal))
            {
                union.Add(uri);
            }
        }

        return union.Count == current.Count ? current : union;
    }
}
