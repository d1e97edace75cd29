using System.Text.Json;
using Herald.Protocol.Legacy;
using Herald.Protocol.Tests.Infrastructure;

namespace Herald.Protocol.Tests.Legacy;

/// <summary>The tutorial-era shapes: tasks/sendSubscribe params in, the result.status / result.artifact events out.</summary>
public sealed class LegacyMappingTests
{
    [Fact]
    public void SendParams_TutorialShape_ReadIntoV1WithClientTaskIdAndSession()
    {
        const string json = """
            {"id":"client-task-1","sessionId":"session-9","acceptedOutputModes":["text"],
             "message":{"role":"user","parts":[{"type":"text","text":"hello"},{"type":"file","file":{"name":"a.txt","mimeType":"text/plain","bytes":"aGk="}},{"type":"data","data":{"k":1}}]},
             "metadata":{"m":true}}
            """;

        var request = LegacyMapping.ToV1(JsonSerializer.Deserialize(json, LegacyJsonContext.Default.LegacyTaskSendParams)!);

        var message = request.Message!;
        Assert.Equal("client-task-1", message.TaskId);
        Assert.Equal("session-9", message.ContextId);
        Assert.Equal(Role.User, message.Role);
        Assert.False(string.IsNullOrEmpty(message.MessageId));
        Assert.Equal("hello", message.Parts[0].Text);
        Assert.Equal("hi"u8.ToArray(), message.Parts[1].Raw);
        Assert.Equal(("a.txt", "text/plain"), (message.Parts[1].Filename, message.Parts[1].MediaType));
        Assert.Equal(1, message.Parts[2].Data!.Value.GetProperty("k").GetInt32());
        Assert.Equal(["text"], request.Configuration!.AcceptedOutputModes!);
        Assert.True(request.Metadata!["m"].GetBoolean());
    }

    [Fact]
    public void SendParams_PartWithKindOrOnlyItsMember_Accepted()
    {
        var parameters = JsonSerializer.Deserialize("""{"id":"t","message":{"role":"user","parts":[{"kind":"text","text":"a"},{"text":"b"}]}}""", LegacyJsonContext.Default.LegacyTaskSendParams)!;

        Assert.Equal("ab", LegacyMapping.ToV1(parameters).Message!.GetText());
    }

    [Fact]
    public void SendParams_UnknownPartType_IsInvalidParams()
    {
        var parameters = JsonSerializer.Deserialize("""{"id":"t","message":{"role":"user","parts":[{"type":"video","url":"x"}]}}""", LegacyJsonContext.Default.LegacyTaskSendParams)!;

        Assert.Equal(A2AErrorCodes.InvalidParams, Assert.Throws<A2AException>(() => LegacyMapping.ToV1(parameters)).Code);
    }

    [Fact]
    public void StreamItems_AsTutorialEvents_StatusAndArtifactWithFinalAndIndex()
    {
        var index = new LegacyArtifactIndex();
        var items = new[]
        {
            new StreamResponse { Task = new AgentTask { Id = "t", ContextId = "s", Status = new AgentTaskStatus { State = TaskState.Submitted } } },
            new StreamResponse { ArtifactUpdate = new TaskArtifactUpdateEvent { TaskId = "t", ContextId = "s", Artifact = new Artifact { ArtifactId = "a", Parts = [Part.FromText("x")] } } },
            new StreamResponse { ArtifactUpdate = new TaskArtifactUpdateEvent { TaskId = "t", ContextId = "s", Artifact = new Artifact { ArtifactId = "b", Name = "B", Parts = [Part.FromText("y")] }, LastChunk = true } },
            new StreamResponse { StatusUpdate = new TaskStatusUpdateEvent { TaskId = "t", ContextId = "s", Status = new AgentTaskStatus { State = TaskState.Rejected } } },
        };

        var json = items.Select(i => JsonSerializer.Serialize(LegacyMapping.ToLegacy(i, index), LegacyJsonContext.Default.LegacyEvent)).ToArray();

        JsonAssert.Equal("""{"id":"t","taskId":"t","contextId":"s","kind":"status-update","status":{"state":"submitted"},"final":false}""", json[0]);
        JsonAssert.Equal("""{"id":"t","taskId":"t","contextId":"s","kind":"artifact-update","artifact":{"name":"a","artifactId":"a","index":0,"parts":[{"type":"text","kind":"text","text":"x"}]}}""", json[1]);
        JsonAssert.Equal("""{"id":"t","taskId":"t","contextId":"s","kind":"artifact-update","artifact":{"name":"B","artifactId":"b","index":1,"lastChunk":true,"parts":[{"type":"text","kind":"text","text":"y"}]}}""", json[2]);
        JsonAssert.Equal("""{"id":"t","taskId":"t","contextId":"s","kind":"status-update","status":{"state":"failed"},"final":true}""", json[3]);
    }

    [Fact]
    public void DirectMessage_AsTutorialEvent_IsAFinalCompletedStatusCarryingIt()
    {
        var e = LegacyMapping.ToLegacy(new StreamResponse { Message = new Message { MessageId = "m", TaskId = "t", Role = Role.Agent, Parts = [Part.FromText("hi")] } }, new LegacyArtifactIndex());

        var status = Assert.IsType<LegacyTaskStatusUpdateEvent>(e);
        Assert.True(status.Final);
        Assert.Equal(LegacyTaskState.Completed, status.Status.State);
        Assert.Equal("hi", status.Status.Message!.Parts[0].Text);
    }

    [Fact]
    public void Task_AsTutorialTask_HasSessionIdAndIndexedArtifacts()
    {
        var task = new AgentTask
        {
            Id = "t",
            ContextId = "s",
            Status = new AgentTaskStatus { State = TaskState.AuthRequired },
            Artifacts = [new Artifact { ArtifactId = "a", Parts = [Part.FromText("1")] }, new Artifact { ArtifactId = "b", Parts = [Part.FromText("2")] }],
            History = [new Message { MessageId = "m", Role = Role.User, Parts = [Part.FromText("q")] }],
        };

        var json = JsonSerializer.Serialize(LegacyMapping.ToLegacy(task), LegacyJsonContext.Default.LegacyTask);

        JsonAssert.Equal("""
            {"id":"t","sessionId":"s","contextId":"s","kind":"task","status":{"state":"input-required"},
             "artifacts":[{"name":"a","artifactId":"a","index":0,"parts":[{"type":"text","kind":"text","text":"1"}]},{"name":"b","artifactId":"b","index":1,"parts":[{"type":"text","kind":"text","text":"2"}]}],
             "history":[{"role":"user","messageId":"m","kind":"message","parts":[{"type":"text","kind":"text","text":"q"}]}]}
            """, json);
    }
}
