using System.Text.Json;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Protocol.Legacy;
using Herald.Server.Storage;

namespace Herald.AspNetCore.JsonRpc.Legacy;

/// <summary>
/// How tutorial-era streams (<c>tasks/sendSubscribe</c>) put items into SSE data: <c>{id, status, final}</c> and
/// <c>{id, artifact{index, ...}}</c>, what those clients read as <c>result.status</c> / <c>result.artifact</c>, each
/// framed as the tutorial's server framed it: a message of one <c>data:</c> line (<see cref="SseStreamFormat.DataOnly"/>).
/// </summary>
/// <remarks>
/// Those clients tell artifacts apart by <c>index</c>. Every stream numbers them in the order they first appear in
/// the task (its snapshot's artifacts first, or the task's artifacts when it resumes without one), which is the
/// order of the task's artifact list: so each event's index is the same on every stream, and its bytes are
/// encoded once and shared like every other dialect's.
/// </remarks>
internal static class LegacyStreamFormats
{
    /// <summary>A format for one stream, numbering artifacts with <paramref name="index"/>.</summary>
    /// <param name="index">This stream's artifact numbering; seed it with <see cref="Seed"/> when the stream has no snapshot.</param>
    /// <param name="taskId">The task id a direct reply is reported under (the client chose it).</param>
    public static SseStreamFormat Create(LegacyArtifactIndex index, string? taskId) => new()
    {
        Event = e => Encode(e, index),
        Snapshot = task => Serialize(LegacyMapping.ToLegacy(new StreamResponse { Task = task }, index)),
        Reply = message => Serialize(LegacyMapping.ToLegacy(new StreamResponse { Message = message with { TaskId = message.TaskId ?? taskId } }, index)),
        DataOnly = true,
    };

    /// <summary>Numbers the artifacts a task already has, in its order.</summary>
    public static void Seed(LegacyArtifactIndex index, AgentTask task)
    {
        foreach (var artifact in task.Artifacts ?? [])
        {
            index.IndexOf(artifact.ArtifactId);
        }
    }

    /// <summary>The tutorial-era bytes of a log event, shared by every stream; registers the event's artifact in <paramref name="index"/>.</summary>
    public static ReadOnlyMemory<byte> Encode(TaskEvent taskEvent, LegacyArtifactIndex index)
    {
        if (taskEvent.Kind == TaskEventKind.Artifact)
        {
            // Registered on every stream, not only by the one that encodes: later artifacts are numbered after it.
            index.IndexOf(taskEvent.ArtifactUpdate!.Artifact.ArtifactId);
        }

        return taskEvent.GetEncoded(Encoding.Instance, index);
    }

    public static byte[] Serialize(LegacyEvent item) => item switch
    {
        LegacyTaskStatusUpdateEvent status => JsonSerializer.SerializeToUtf8Bytes(status, LegacyJsonContext.Default.LegacyTaskStatusUpdateEvent),
        LegacyTaskArtifactUpdateEvent artifact => JsonSerializer.SerializeToUtf8Bytes(artifact, LegacyJsonContext.Default.LegacyTaskArtifactUpdateEvent),
        _ => throw new ArgumentException($"Unknown tutorial-era event {item.GetType().Name}.", nameof(item)),
    };

    private sealed class Encoding : EventEncoding<LegacyArtifactIndex>
    {
        public static readonly Encoding Instance = new();

        protected internal override byte[] Encode(TaskEvent taskEvent, LegacyArtifactIndex context) => Serialize(taskEvent.Kind == TaskEventKind.Status
            ? LegacyMapping.ToLegacy(taskEvent.StatusUpdate!)
            : LegacyMapping.ToLegacy(taskEvent.ArtifactUpdate!, context));
    }
}
