using System.Text.Json;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Benchmarks;

/// <summary>The events the bench agent produces, built the way the engine builds them.</summary>
internal static class Fixtures
{
    public const string TaskId = "3f1c9a52-6a0e-4d8e-9d4b-6f1e2a7c9b10";
    public const string ContextId = "8b7d2e41-0c3f-4a59-b6e2-1d9f7a3c5e28";

    public static AgentTask NewTask() => new()
    {
        Id = TaskId,
        ContextId = ContextId,
        Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = DateTimeOffset.UnixEpoch },
        History = [Message.UserText("10000 delay=0") with { TaskId = TaskId, ContextId = ContextId }],
    };

    /// <summary>An appended artifact chunk like the bench agent's: one text part and a timestamp in metadata.</summary>
    public static TaskEvent ArtifactChunk(int number, bool append = true) => TaskEvent.ForArtifact(0, new TaskArtifactUpdateEvent
    {
        TaskId = TaskId,
        ContextId = ContextId,
        Artifact = new Artifact
        {
            ArtifactId = "chunks",
            Parts = [Part.FromText($"chunk {number:D6} ")],
            Metadata = new Dictionary<string, JsonElement> { ["benchTsUs"] = JsonDocument.Parse("5818329418").RootElement },
        },
        Append = append ? true : null,
    }, DateTimeOffset.UnixEpoch);

    public static TaskEvent WorkingStatus() => TaskEvent.ForStatus(0, new TaskStatusUpdateEvent
    {
        TaskId = TaskId,
        ContextId = ContextId,
        Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = DateTimeOffset.UnixEpoch },
    }, DateTimeOffset.UnixEpoch);

    /// <summary>A projection of a working task whose one artifact has <paramref name="chunks"/> chunks.</summary>
    public static TaskProjection Projection(int chunks)
    {
        var projection = new TaskProjection(NewTask());
        var sequence = 1L;
        projection.Apply(WorkingStatus().WithSequence(++sequence));
        for (var i = 1; i <= chunks; i++)
        {
            projection.Apply(ArtifactChunk(i, append: i > 1).WithSequence(++sequence));
        }

        return projection;
    }

    /// <summary>An in-memory store holding one working task with <paramref name="chunks"/> chunks.</summary>
    public static InMemoryTaskStore Store(int chunks)
    {
        var store = new InMemoryTaskStore();
        store.CreateAsync(NewTask()).AsTask().GetAwaiter().GetResult();
        store.AppendAsync(TaskId, WorkingStatus()).AsTask().GetAwaiter().GetResult();
        for (var i = 1; i <= chunks; i++)
        {
            store.AppendAsync(TaskId, ArtifactChunk(i, append: i > 1)).AsTask().GetAwaiter().GetResult();
        }

        return store;
    }
}
