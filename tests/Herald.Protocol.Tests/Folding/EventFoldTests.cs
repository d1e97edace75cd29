using System.Text.Json;
using Herald.Protocol;
using Herald.Protocol.Folding;

namespace Herald.Protocol.Tests.Folding;

public sealed class EventFoldTests
{
    [Fact]
    public void Message_AppendsToHistoryOnly()
    {
        var message = Message.UserText("more");

        var delta = EventFold.Message(message);

        Assert.Same(message, delta.HistoryAppend);
        Assert.Null(delta.StatusSet);
        Assert.Equal(ArtifactChange.None, delta.ArtifactChange);
        Assert.Null(delta.ArtifactId);
        Assert.Empty(delta.ArtifactParts);
    }

    [Fact]
    public void StatusUpdate_WithMessage_SetsStatusAndAppendsItsMessage()
    {
        var status = new AgentTaskStatus { State = TaskState.InputRequired, Message = Message.AgentText("which one?") };

        var delta = EventFold.StatusUpdate(StatusEvent(status));

        Assert.Same(status, delta.StatusSet);
        Assert.Same(status.Message, delta.HistoryAppend);
        Assert.Equal(ArtifactChange.None, delta.ArtifactChange);
    }

    [Fact]
    public void StatusUpdate_WithoutMessage_LeavesHistory()
    {
        var delta = EventFold.StatusUpdate(StatusEvent(new AgentTaskStatus { State = TaskState.Working }));

        Assert.Equal(TaskState.Working, delta.StatusSet?.State);
        Assert.Null(delta.HistoryAppend);
    }

    [Fact]
    public void StatusUpdate_EventMetadata_IsNotTheTasks()
    {
        var update = StatusEvent(new AgentTaskStatus { State = TaskState.Working }) with { Metadata = Meta(("k", "v")) };

        var delta = EventFold.StatusUpdate(update);

        Assert.Null(delta.HistoryAppend);
        Assert.Equal(ArtifactChange.None, delta.ArtifactChange);
    }

    [Theory]
    [InlineData(false, false, ArtifactChange.Add)]
    [InlineData(true, false, ArtifactChange.Add)] // appending to an artifact the task lacks starts it: no chunk is lost
    [InlineData(false, true, ArtifactChange.Replace)]
    [InlineData(true, true, ArtifactChange.Extend)]
    public void ArtifactUpdate_AppendAndExistence_DecideTheChange(bool append, bool exists, ArtifactChange expected)
    {
        var delta = EventFold.ArtifactUpdate(ArtifactEvent(new Artifact { ArtifactId = "a", Parts = [Part.FromText("x")] }, append), exists);

        Assert.Equal(expected, delta.ArtifactChange);
        Assert.Equal("a", delta.ArtifactId);
        Assert.Equal(["x"], delta.ArtifactParts.Select(p => p.Text));
        Assert.Null(delta.HistoryAppend);
        Assert.Null(delta.StatusSet);
    }

    [Fact]
    public void ArtifactUpdate_LastChunk_ChangesNothingMore()
    {
        var chunk = new Artifact { ArtifactId = "a", Parts = [Part.FromText("x")] };

        var last = EventFold.ArtifactUpdate(ArtifactEvent(chunk, append: true) with { LastChunk = true }, artifactExists: true);
        var notLast = EventFold.ArtifactUpdate(ArtifactEvent(chunk, append: true), artifactExists: true);

        Assert.Equal(notLast, last);
    }

    [Fact]
    public void ArtifactHeader_AddOrReplace_IsTheArtifactWithoutParts()
    {
        var artifact = new Artifact { ArtifactId = "a", Name = "n", Description = "d", Metadata = Meta(("k", "v")), Extensions = ["e"], Parts = [Part.FromText("x")] };

        foreach (var exists in new[] { false, true })
        {
            var header = EventFold.Artifact(artifact, exists).ArtifactHeader();

            Assert.Equal(artifact with { Parts = [] }, header with { Parts = [] });
            Assert.Empty(header.Parts);
        }
    }

    [Fact]
    public void ArtifactHeader_ChunkWithoutHeaderFields_KeepsTheHeader()
    {
        var current = new Artifact { ArtifactId = "a", Name = "n", Metadata = Meta(("k", "v")) };

        var delta = EventFold.ArtifactUpdate(ArtifactEvent(new Artifact { ArtifactId = "a", Parts = [Part.FromText("x")] }, append: true), artifactExists: true);

        Assert.False(delta.ChangesArtifactHeader);
        Assert.Same(current, delta.ArtifactHeader(current));
    }

    [Fact]
    public void ArtifactHeader_ChunkWithHeaderFields_OverridesNameAndDescriptionMergesMetadataAndExtensions()
    {
        var current = new Artifact
        {
            ArtifactId = "a",
            Name = "old",
            Description = "kept",
            Metadata = Meta(("keep", "1"), ("change", "1")),
            Extensions = ["e1"],
        };
        var chunk = new Artifact
        {
            ArtifactId = "a",
            Name = "new",
            Metadata = Meta(("change", "2"), ("add", "2")),
            Extensions = ["e1", "e2"],
            Parts = [Part.FromText("x")],
        };

        var delta = EventFold.ArtifactUpdate(ArtifactEvent(chunk, append: true), artifactExists: true);
        var header = delta.ArtifactHeader(current);

        Assert.True(delta.ChangesArtifactHeader);
        Assert.Equal("new", header.Name);
        Assert.Equal("kept", header.Description);
        Assert.Equal(["add=2", "change=2", "keep=1"], header.Metadata!.Select(p => $"{p.Key}={p.Value.GetString()}").Order());
        Assert.Equal(["e1", "e2"], header.Extensions);
        Assert.Empty(header.Parts);
        Assert.Equal(["change=1", "keep=1"], current.Metadata!.Select(p => $"{p.Key}={p.Value.GetString()}").Order()); // pure: the old header is untouched
    }

    [Fact]
    public void ArtifactHeader_ExtendWithoutCurrent_Throws()
    {
        var delta = EventFold.ArtifactUpdate(ArtifactEvent(new Artifact { ArtifactId = "a", Name = "n" }, append: true), artifactExists: true);

        Assert.Throws<ArgumentNullException>(() => delta.ArtifactHeader());
    }

    [Fact]
    public void ArtifactHeader_NoArtifactChange_Throws()
    {
        var delta = EventFold.Message(Message.UserText("m"));

        Assert.Throws<InvalidOperationException>(() => delta.ArtifactHeader());
    }

    [Fact]
    public void FoldedArtifacts_AppliesAddReplaceExtendInPlace()
    {
        var artifacts = new FoldedArtifacts();
        void Apply(Artifact artifact, bool append) =>
            artifacts.Apply(EventFold.ArtifactUpdate(ArtifactEvent(artifact, append), artifacts.Contains(artifact.ArtifactId)));

        Apply(new Artifact { ArtifactId = "a", Name = "A", Parts = [Part.FromText("1")] }, append: false);
        Apply(new Artifact { ArtifactId = "b", Parts = [Part.FromText("b")] }, append: true);
        Apply(new Artifact { ArtifactId = "a", Parts = [Part.FromText("2")] }, append: true);
        Apply(new Artifact { ArtifactId = "b", Parts = [Part.FromText("B")] }, append: false);
        Apply(new Artifact { ArtifactId = "a", Description = "D", Parts = [Part.FromText("3")] }, append: true);

        var result = artifacts.ToArray();
        Assert.Equal(2, artifacts.Count);
        Assert.Equal(["a", "b"], result.Select(a => a.ArtifactId));
        Assert.Equal(["1", "2", "3"], result[0].Parts.Select(p => p.Text));
        Assert.Equal(("A", "D"), (result[0].Name, result[0].Description));
        Assert.Equal(["B"], result[1].Parts.Select(p => p.Text));
        Assert.Equal(["1", "2", "3"], artifacts.GetParts("a")!.Select(p => p.Text));
        Assert.Null(artifacts.GetParts("missing"));

        artifacts.Clear();
        Assert.Equal(0, artifacts.Count);
        Assert.False(artifacts.Contains("a"));
    }

    [Fact]
    public void FoldedArtifacts_ToArray_IsACopyLaterChunksDoNotChange()
    {
        var artifacts = new FoldedArtifacts();
        artifacts.Apply(EventFold.Artifact(new Artifact { ArtifactId = "a", Parts = [Part.FromText("1")] }, artifactExists: false));
        var before = artifacts.ToArray();

        artifacts.Apply(EventFold.ArtifactUpdate(ArtifactEvent(new Artifact { ArtifactId = "a", Parts = [Part.FromText("2")] }, append: true), artifactExists: true));

        Assert.Single(before[0].Parts);
        Assert.Equal(2, artifacts.ToArray()[0].Parts.Count);
    }

    private static TaskStatusUpdateEvent StatusEvent(AgentTaskStatus status) => new() { TaskId = "t", ContextId = "c", Status = status };

    private static TaskArtifactUpdateEvent ArtifactEvent(Artifact artifact, bool append) =>
        new() { TaskId = "t", ContextId = "c", Artifact = artifact, Append = append ? true : null };

    private static Dictionary<string, JsonElement> Meta(params (string Key, string Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => JsonElement.Parse($"\"{e.Value}\""));
}
