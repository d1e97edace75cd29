using System.Text;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

public sealed class TaskProjectionTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private long _sequence = 1;

    [Fact]
    public void Apply_TenThousandAppendedChunks_KeepsOrderAndCount()
    {
        var projection = NewProjection();
        projection.Apply(Next(Chunk("stream", "0", append: false)));
        for (var i = 1; i < 10_000; i++)
        {
            projection.Apply(Next(Chunk("stream", i.ToString(), append: true)));
        }

        var task = projection.ToTask();

        var artifact = Assert.Single(task.Artifacts!);
        Assert.Equal(10_000, artifact.Parts.Count);
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => i.ToString()), artifact.Parts.Select(p => p.Text));
        Assert.Equal(10_001, projection.Sequence);
    }

    [Fact]
    public void Apply_NonAppendWithSameArtifactId_ReplacesArtifact()
    {
        var projection = NewProjection();
        projection.Apply(Next(Chunk("a", "old", append: false, name: "Old")));
        projection.Apply(Next(Chunk("a", "old-2", append: true)));
        projection.Apply(Next(Chunk("b", "other", append: false)));

        projection.Apply(Next(Chunk("a", "new", append: false, name: "New")));

        var artifacts = projection.ToTask().Artifacts!;
        Assert.Equal(["a", "b"], artifacts.Select(a => a.ArtifactId));
        Assert.Equal("New", artifacts[0].Name);
        Assert.Equal(["new"], artifacts[0].Parts.Select(p => p.Text));
        Assert.Equal(["other"], artifacts[1].Parts.Select(p => p.Text));
    }

    [Fact]
    public void Apply_AppendToUnknownArtifactId_StartsTheArtifact()
    {
        var projection = NewProjection();

        projection.Apply(Next(Chunk("late", "first chunk", append: true, name: "Late")));
        projection.Apply(Next(Chunk("late", "second chunk", append: true)));

        var artifact = Assert.Single(projection.ToTask().Artifacts!);
        Assert.Equal("late", artifact.ArtifactId);
        Assert.Equal("Late", artifact.Name);
        Assert.Equal(["first chunk", "second chunk"], artifact.Parts.Select(p => p.Text));
    }

    [Fact]
    public void Apply_AppendedChunkWithName_UpdatesHeaderAndKeepsParts()
    {
        var projection = NewProjection();
        projection.Apply(Next(Chunk("a", "x", append: false, name: "Draft")));

        projection.Apply(Next(Chunk("a", "y", append: true, name: "Final")));

        var artifact = Assert.Single(projection.ToTask().Artifacts!);
        Assert.Equal("Final", artifact.Name);
        Assert.Equal(["x", "y"], artifact.Parts.Select(p => p.Text));
    }

    [Fact]
    public void Apply_StatusWithMessage_SetsStatusAndAddsMessageToHistory()
    {
        var projection = NewProjection(Message.UserText("hello") with { MessageId = "u-1" });
        var agentMessage = Message.AgentText("need more") with { MessageId = "a-1" };

        projection.Apply(Next(Status(TaskState.InputRequired, T0.AddSeconds(1), agentMessage)));
        projection.Apply(Next(Status(TaskState.Working, T0.AddSeconds(2))));

        var task = projection.ToTask();
        Assert.Equal(TaskState.Working, task.Status.State);
        Assert.Equal(T0.AddSeconds(2), projection.StatusTimestamp);
        Assert.Equal(["u-1", "a-1"], task.History!.Select(m => m.MessageId));
        Assert.Equal(2, projection.HistoryCount);
    }

    [Fact]
    public void Apply_MessageEvent_AddsToHistoryWithoutChangingStatus()
    {
        var projection = NewProjection();
        projection.Apply(Next(Status(TaskState.InputRequired, T0.AddSeconds(1))));

        projection.Apply(Next(TaskEvent.ForMessage(0, Message.UserText("answer") with { MessageId = "u-2" }, T0.AddSeconds(2))));

        var task = projection.ToTask();
        Assert.Equal(TaskState.InputRequired, task.Status.State);
        Assert.Equal(["u-2"], task.History!.Select(m => m.MessageId));
        Assert.Equal(3, projection.Sequence);
    }

    [Fact]
    public void Apply_CreatedEvent_Throws()
    {
        var projection = NewProjection();
        var created = TaskEvent.Created(2, projection.ToTask(), T0);

        Assert.Throws<InvalidOperationException>(() => projection.Apply(created));
    }

    [Fact]
    public void ToTask_HistoryLength_ZeroNoneNRecentNullAll()
    {
        var projection = NewProjection(Message.UserText("m0") with { MessageId = "m0" });
        for (var i = 1; i <= 3; i++)
        {
            projection.Apply(Next(TaskEvent.ForMessage(0, Message.UserText($"m{i}") with { MessageId = $"m{i}" }, T0)));
        }

        Assert.Null(projection.ToTask(historyLength: 0).History);
        Assert.Equal(["m2", "m3"], projection.ToTask(historyLength: 2).History!.Select(m => m.MessageId));
        Assert.Equal(["m0", "m1", "m2", "m3"], projection.ToTask(historyLength: 99).History!.Select(m => m.MessageId));
        Assert.Equal(["m0", "m1", "m2", "m3"], projection.ToTask().History!.Select(m => m.MessageId));
    }

    [Fact]
    public void ToTask_IncludeArtifactsFalse_OmitsArtifacts()
    {
        var projection = NewProjection();
        projection.Apply(Next(Chunk("a", "x", append: false)));

        Assert.Null(projection.ToTask(includeArtifacts: false).Artifacts);
        Assert.Single(projection.ToTask(includeArtifacts: true).Artifacts!);
    }

    [Fact]
    public void ToTask_LaterAppends_DoNotChangeEarlierCopy()
    {
        var projection = NewProjection(Message.UserText("m0"));
        projection.Apply(Next(Chunk("a", "one", append: false)));
        var before = projection.ToTask();

        projection.Apply(Next(Chunk("a", "two", append: true)));
        projection.Apply(Next(Status(TaskState.Working, T0.AddSeconds(1), Message.AgentText("m1"))));

        Assert.Equal(["one"], before.Artifacts!.Single().Parts.Select(p => p.Text));
        Assert.Single(before.History!);
        Assert.Equal(TaskState.Submitted, before.Status.State);
    }

    [Fact]
    public void Constructor_TaskWithArtifactsAndHistory_StartsFromThem()
    {
        var created = new AgentTask
        {
            Id = "t",
            ContextId = "c",
            Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = T0 },
            History = [Message.UserText("hi") with { MessageId = "u" }],
            Artifacts = [new Artifact { ArtifactId = "seed", Parts = [Part.FromText("s")] }],
        };

        var projection = new TaskProjection(created);
        projection.Apply(Chunk("seed", "t", append: true).WithSequence(2));

        var task = projection.ToTask();
        Assert.Equal(["s", "t"], task.Artifacts!.Single().Parts.Select(p => p.Text));
        Assert.Equal(["u"], task.History!.Select(m => m.MessageId));
        Assert.Equal("c", task.ContextId);
    }

    [Fact]
    public void GetV1Json_StatusEvent_SerializesOnceAsStatusUpdate()
    {
        var e = Next(Status(TaskState.Working, T0));

        var first = e.GetV1Json();
        var second = e.GetV1Json();

        var json = Encoding.UTF8.GetString(first.Span);
        Assert.StartsWith("{\"statusUpdate\":", json, StringComparison.Ordinal);
        Assert.Contains("TASK_STATE_WORKING", json, StringComparison.Ordinal);
        Assert.True(first.Span == second.Span, "Every subscriber must share the same serialized bytes.");
    }

    private static TaskProjection NewProjection(Message? first = null) => new(new AgentTask
    {
        Id = "task-1",
        ContextId = "ctx-1",
        Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = T0 },
        History = first is null ? null : [first],
    });

    private TaskEvent Next(TaskEvent draft) => draft.WithSequence(++_sequence);

    private static TaskEvent Chunk(string artifactId, string text, bool append, string? name = null) =>
        TaskEvent.ForArtifact(0, new TaskArtifactUpdateEvent
        {
            TaskId = "task-1",
            ContextId = "ctx-1",
            Artifact = new Artifact { ArtifactId = artifactId, Name = name, Parts = [Part.FromText(text)] },
            Append = append ? true : null,
        }, T0);

    private static TaskEvent Status(TaskState state, DateTimeOffset at, Message? message = null) =>
        TaskEvent.ForStatus(0, new TaskStatusUpdateEvent
        {
            TaskId = "task-1",
            ContextId = "ctx-1",
            Status = new AgentTaskStatus { State = state, Timestamp = at, Message = message },
        }, at);
}
