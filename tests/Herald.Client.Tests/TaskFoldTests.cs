using System.Text.Json;
using Herald.Protocol;

namespace Herald.Client.Tests;

public sealed class TaskFoldTests
{
    private static StreamResponse Snapshot(TaskState state = TaskState.Submitted, params Artifact[] artifacts) => new()
    {
        Task = new AgentTask
        {
            Id = "t",
            ContextId = "c",
            Status = new AgentTaskStatus { State = state },
            History = [Message.UserText("hi")],
            Artifacts = artifacts.Length == 0 ? null : artifacts,
        },
    };

    private static StreamResponse Status(TaskState state, string? text = null) => new()
    {
        StatusUpdate = new TaskStatusUpdateEvent
        {
            TaskId = "t",
            ContextId = "c",
            Status = new AgentTaskStatus { State = state, Message = text is null ? null : Message.AgentText(text) },
        },
    };

    private static StreamResponse Chunk(string id, string text, bool append = true, bool last = false, string? name = null) => new()
    {
        ArtifactUpdate = new TaskArtifactUpdateEvent
        {
            TaskId = "t",
            ContextId = "c",
            Artifact = new Artifact { ArtifactId = id, Name = name, Parts = [Part.FromText(text)] },
            Append = append ? true : null,
            LastChunk = last ? true : null,
        },
    };

    [Fact]
    public void Apply_AppendedChunks_JoinsPartsInOrderAndTracksLastChunk()
    {
        var fold = new TaskFold();
        fold.Apply(Snapshot());
        fold.Apply(Chunk("a", "one ", append: false, name: "A"));
        fold.Apply(Chunk("b", "x", append: false));
        fold.Apply(Chunk("a", "two "));

        Assert.False(fold.IsArtifactComplete("a"));
        fold.Apply(Chunk("a", "three", last: true));

        Assert.Equal("one two three", fold.GetArtifactText("a"));
        Assert.True(fold.IsArtifactComplete("a"));
        Assert.False(fold.IsArtifactComplete("b"));
        var artifacts = fold.Task!.Artifacts!;
        Assert.Equal(["a", "b"], artifacts.Select(a => a.ArtifactId));
        Assert.Equal("A", artifacts[0].Name);
        Assert.Equal(3, artifacts[0].Parts.Count);
        Assert.Equal(5, fold.Count);
    }

    [Fact]
    public void Apply_ChunkWithoutAppend_ReplacesTheArtifact()
    {
        var fold = new TaskFold();
        fold.Apply(Chunk("a", "old", append: false));
        fold.Apply(Chunk("a", "new", append: false));

        Assert.Equal("new", fold.GetArtifactText("a"));
        Assert.Equal("t", fold.Task!.Id); // an update alone names the task
    }

    [Fact]
    public void Apply_StatusUpdates_SetStatusAndAddAgentMessagesToHistory()
    {
        var fold = new TaskFold();
        fold.Apply(Snapshot());
        fold.Apply(Status(TaskState.Working, "thinking"));
        Assert.False(fold.IsFinished);

        fold.Apply(Status(TaskState.InputRequired, "which one?"));

        Assert.Equal(TaskState.InputRequired, fold.State);
        Assert.True(fold.IsFinished);
        Assert.Equal(["hi", "thinking", "which one?"], fold.Task!.History!.Select(m => m.GetText()));
    }

    [Fact]
    public void Apply_SnapshotAfterUpdates_ReplacesStateButKeepsLastChunkKnowledge()
    {
        var fold = new TaskFold();
        fold.Apply(Snapshot());
        fold.Apply(Chunk("a", "x", append: false, last: true));
        fold.Apply(Snapshot(TaskState.Working, new Artifact { ArtifactId = "a", Parts = [Part.FromText("x"), Part.FromText("y")] }));

        Assert.Equal("xy", fold.GetArtifactText("a"));
        Assert.True(fold.IsArtifactComplete("a"));
        Assert.Equal(TaskState.Working, fold.State);
        Assert.Single(fold.Task!.History!);
    }

    [Fact]
    public void Apply_TerminalState_MakesEveryArtifactComplete()
    {
        var fold = new TaskFold();
        fold.Apply(Chunk("a", "x", append: false));
        fold.Apply(Status(TaskState.Completed));

        Assert.True(fold.IsArtifactComplete("a"));
        Assert.True(fold.IsFinished);
        Assert.Null(fold.GetArtifactText("missing"));
    }

    [Fact]
    public void Apply_DirectMessage_IsTheResultAndNoTask()
    {
        var fold = new TaskFold();
        fold.Apply(new StreamResponse { Message = Message.AgentText("pong") });

        Assert.Null(fold.Task);
        Assert.Null(fold.State);
        Assert.Equal("pong", fold.Message!.GetText());
        Assert.True(fold.IsFinished);
    }

    [Fact]
    public void Task_ReadTwiceWithoutChanges_ReturnsTheSameInstance()
    {
        var fold = new TaskFold();
        fold.Apply(Snapshot());

        var first = fold.Task;
        Assert.Same(first, fold.Task);
        fold.Apply(Status(TaskState.Working));
        Assert.NotSame(first, fold.Task);
    }

    [Fact]
    public void Apply_AppendedChunkWithMetadata_MergesItKeyByKeyAndKeepsTheName()
    {
        var fold = new TaskFold();
        fold.Apply(Snapshot());
        fold.Apply(WithMetadata(Chunk("a", "one ", append: false, name: "A"), ("first", "1"), ("n", "1")));
        fold.Apply(WithMetadata(Chunk("a", "two"), ("n", "2")));

        var artifact = Assert.Single(fold.Task!.Artifacts!);
        Assert.Equal("A", artifact.Name);
        Assert.Equal("one two", fold.GetArtifactText("a"));
        Assert.Equal(["first=1", "n=2"], artifact.Metadata!.Select(p => $"{p.Key}={p.Value.GetRawText()}").Order());
    }

    [Fact]
    public void Apply_MessageAfterTheTask_JoinsTheHistory()
    {
        var fold = new TaskFold();
        fold.Apply(Snapshot(TaskState.InputRequired));
        fold.Apply(new StreamResponse { Message = Message.UserText("more") });

        Assert.Null(fold.Message);
        Assert.Equal(["hi", "more"], fold.Task!.History!.Select(m => m.Parts[0].Text));
    }

    private static StreamResponse WithMetadata(StreamResponse chunk, params (string Key, string Json)[] metadata)
    {
        var update = chunk.ArtifactUpdate!;
        return new StreamResponse
        {
            ArtifactUpdate = update with { Artifact = update.Artifact with { Metadata = metadata.ToDictionary(m => m.Key, m => JsonElement.Parse(m.Json)) } },
        };
    }
}
