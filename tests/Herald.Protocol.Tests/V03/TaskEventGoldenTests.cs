using System.Text.Json;
using Herald.Protocol.Tests.Infrastructure;
using Herald.Protocol.V03;

namespace Herald.Protocol.Tests.V03;

/// <summary>
/// One task's events, written as v1.0 (A2AJsonContext) and as v0.3 (V03Mapping + V03JsonContext), each
/// compared field by field with the JSON it must be; every v0.3 form is also checked against the v0.3
/// JSON schema, alone and inside the JSON-RPC response that carries it, and read back to the same v1.0 JSON.
/// </summary>
public sealed class TaskEventGoldenTests
{
    private static readonly DateTimeOffset T0 = new(2025, 10, 28, 10, 30, 0, TimeSpan.Zero);

    private static Dictionary<string, JsonElement> Metadata(string json) =>
        JsonSerializer.Deserialize(json, A2AJsonContext.Default.DictionaryStringJsonElement)!;

    private static JsonElement Json(string json) => JsonSerializer.Deserialize(json, A2AJsonContext.Default.JsonElement);

    private static Message UserMessage => new()
    {
        MessageId = "m-1",
        ContextId = "ctx-1",
        TaskId = "task-1",
        Role = Role.User,
        Parts =
        [
            Part.FromText("draw a cat"),
            new Part { Raw = [1, 2, 3], MediaType = "image/png", Filename = "cat.png" },
            new Part { Url = "https://example.com/cat.png", MediaType = "image/png" },
            new Part { Data = Json("""{"size":3}"""), Metadata = Metadata("""{"source":"form"}""") },
        ],
    };

    /// <summary>(name, v1.0 item, expected v1.0 JSON, expected v0.3 JSON, v0.3 schema definition).</summary>
    public static TheoryData<string> Events => new() { "task", "working", "chunk1", "chunk2", "completed", "input-required", "message" };

    private static (StreamResponse Item, string V1, string V03, string Definition) Case(string name) => name switch
    {
        "task" => (
            new StreamResponse
            {
                Task = new AgentTask
                {
                    Id = "task-1",
                    ContextId = "ctx-1",
                    Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = T0 },
                    History = [UserMessage],
                    Metadata = Metadata("""{"priority":"high"}"""),
                },
            },
            """
            {"task":{"id":"task-1","contextId":"ctx-1","status":{"state":"TASK_STATE_SUBMITTED","timestamp":"2025-10-28T10:30:00.000Z"},
             "history":[{"messageId":"m-1","contextId":"ctx-1","taskId":"task-1","role":"ROLE_USER","parts":[
               {"text":"draw a cat"},
               {"raw":"AQID","filename":"cat.png","mediaType":"image/png"},
               {"url":"https://example.com/cat.png","mediaType":"image/png"},
               {"data":{"size":3},"metadata":{"source":"form"}}]}],
             "metadata":{"priority":"high"}}}
            """,
            """
            {"kind":"task","id":"task-1","contextId":"ctx-1","status":{"state":"submitted","timestamp":"2025-10-28T10:30:00.000Z"},
             "history":[{"kind":"message","messageId":"m-1","contextId":"ctx-1","taskId":"task-1","role":"user","parts":[
               {"kind":"text","text":"draw a cat"},
               {"kind":"file","file":{"bytes":"AQID","mimeType":"image/png","name":"cat.png"}},
               {"kind":"file","file":{"uri":"https://example.com/cat.png","mimeType":"image/png"}},
               {"kind":"data","data":{"size":3},"metadata":{"source":"form"}}]}],
             "metadata":{"priority":"high"}}
            """,
            "Task"),
        "working" => (
            new StreamResponse
            {
                StatusUpdate = new TaskStatusUpdateEvent
                {
                    TaskId = "task-1",
                    ContextId = "ctx-1",
                    Status = new AgentTaskStatus
                    {
                        State = TaskState.Working,
                        Timestamp = T0.AddMilliseconds(100),
                        Message = new Message { MessageId = "m-2", Role = Role.Agent, Parts = [Part.FromText("working on it")] },
                    },
                },
            },
            """
            {"statusUpdate":{"taskId":"task-1","contextId":"ctx-1","status":{"state":"TASK_STATE_WORKING",
             "message":{"messageId":"m-2","role":"ROLE_AGENT","parts":[{"text":"working on it"}]},"timestamp":"2025-10-28T10:30:00.100Z"}}}
            """,
            """
            {"kind":"status-update","taskId":"task-1","contextId":"ctx-1","final":false,"status":{"state":"working",
             "message":{"kind":"message","messageId":"m-2","role":"agent","parts":[{"kind":"text","text":"working on it"}]},"timestamp":"2025-10-28T10:30:00.100Z"}}
            """,
            "TaskStatusUpdateEvent"),
        "chunk1" => (
            new StreamResponse
            {
                ArtifactUpdate = new TaskArtifactUpdateEvent
                {
                    TaskId = "task-1",
                    ContextId = "ctx-1",
                    Artifact = new Artifact { ArtifactId = "art-1", Name = "cat", Parts = [Part.FromText("chunk 1")] },
                },
            },
            """{"artifactUpdate":{"taskId":"task-1","contextId":"ctx-1","artifact":{"artifactId":"art-1","name":"cat","parts":[{"text":"chunk 1"}]}}}""",
            """{"kind":"artifact-update","taskId":"task-1","contextId":"ctx-1","artifact":{"artifactId":"art-1","name":"cat","parts":[{"kind":"text","text":"chunk 1"}]}}""",
            "TaskArtifactUpdateEvent"),
        "chunk2" => (
            new StreamResponse
            {
                ArtifactUpdate = new TaskArtifactUpdateEvent
                {
                    TaskId = "task-1",
                    ContextId = "ctx-1",
                    Artifact = new Artifact { ArtifactId = "art-1", Parts = [Part.FromText("chunk 2")], Metadata = Metadata("""{"n":2}""") },
                    Append = true,
                    LastChunk = true,
                },
            },
            """{"artifactUpdate":{"taskId":"task-1","contextId":"ctx-1","artifact":{"artifactId":"art-1","parts":[{"text":"chunk 2"}],"metadata":{"n":2}},"append":true,"lastChunk":true}}""",
            """{"kind":"artifact-update","taskId":"task-1","contextId":"ctx-1","artifact":{"artifactId":"art-1","parts":[{"kind":"text","text":"chunk 2"}],"metadata":{"n":2}},"append":true,"lastChunk":true}""",
            "TaskArtifactUpdateEvent"),
        "completed" => (
            new StreamResponse
            {
                StatusUpdate = new TaskStatusUpdateEvent
                {
                    TaskId = "task-1",
                    ContextId = "ctx-1",
                    Status = new AgentTaskStatus { State = TaskState.Completed, Timestamp = T0.AddMilliseconds(900) },
                },
            },
            """{"statusUpdate":{"taskId":"task-1","contextId":"ctx-1","status":{"state":"TASK_STATE_COMPLETED","timestamp":"2025-10-28T10:30:00.900Z"}}}""",
            """{"kind":"status-update","taskId":"task-1","contextId":"ctx-1","final":true,"status":{"state":"completed","timestamp":"2025-10-28T10:30:00.900Z"}}""",
            "TaskStatusUpdateEvent"),
        "input-required" => (
            new StreamResponse
            {
                StatusUpdate = new TaskStatusUpdateEvent
                {
                    TaskId = "task-1",
                    ContextId = "ctx-1",
                    Status = new AgentTaskStatus { State = TaskState.InputRequired, Message = new Message { MessageId = "m-3", Role = Role.Agent, Parts = [Part.FromText("which color?")] } },
                },
            },
            """{"statusUpdate":{"taskId":"task-1","contextId":"ctx-1","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"m-3","role":"ROLE_AGENT","parts":[{"text":"which color?"}]}}}}""",
            """{"kind":"status-update","taskId":"task-1","contextId":"ctx-1","final":true,"status":{"state":"input-required","message":{"kind":"message","messageId":"m-3","role":"agent","parts":[{"kind":"text","text":"which color?"}]}}}""",
            "TaskStatusUpdateEvent"),
        "message" => (
            new StreamResponse { Message = new Message { MessageId = "m-4", ContextId = "ctx-2", Role = Role.Agent, Parts = [Part.FromText("hello")], ReferenceTaskIds = ["task-1"], Extensions = ["urn:x"] } },
            """{"message":{"messageId":"m-4","contextId":"ctx-2","role":"ROLE_AGENT","parts":[{"text":"hello"}],"extensions":["urn:x"],"referenceTaskIds":["task-1"]}}""",
            """{"kind":"message","messageId":"m-4","contextId":"ctx-2","role":"agent","parts":[{"kind":"text","text":"hello"}],"extensions":["urn:x"],"referenceTaskIds":["task-1"]}""",
            "Message"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Serialize_V1_MatchesGolden(string name)
    {
        var (item, v1, _, _) = Case(name);

        JsonAssert.Equal(v1, JsonSerializer.Serialize(item, A2AJsonContext.Default.StreamResponse));
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void Serialize_V03_MatchesGoldenAndSchema(string name)
    {
        var (item, _, v03, definition) = Case(name);

        var json = JsonSerializer.Serialize(V03Mapping.ToV03(item), V03JsonContext.Default.V03Result);

        JsonAssert.Equal(v03, json);
        V03Schema.AssertValid(definition, json);
        V03Schema.AssertValid("SendStreamingMessageSuccessResponse", $$"""{"jsonrpc":"2.0","id":7,"result":{{json}}}""");
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void Read_V03Golden_MapsBackToTheSameV1Json(string name)
    {
        var (_, v1, v03, _) = Case(name);

        var result = JsonSerializer.Deserialize(v03, V03JsonContext.Default.V03Result)!;

        JsonAssert.Equal(v1, JsonSerializer.Serialize(V03Mapping.ToV1(result), A2AJsonContext.Default.StreamResponse));
    }

    [Fact]
    public void Serialize_V03TaskAsItsOwnType_CarriesKindToo()
    {
        // A tasks/get result is a bare Task: kind must not depend on being written as the V03Result union.
        var task = V03Mapping.ToV03(Case("task").Item.Task!);

        var json = JsonSerializer.Serialize(task, V03JsonContext.Default.V03Task);

        JsonAssert.Equal(Case("task").V03, json);
        V03Schema.AssertValid("GetTaskSuccessResponse", $$"""{"jsonrpc":"2.0","id":"a","result":{{json}}}""");
    }

    [Theory]
    [InlineData(TaskState.Submitted, "submitted", false)]
    [InlineData(TaskState.Working, "working", false)]
    [InlineData(TaskState.InputRequired, "input-required", true)]
    [InlineData(TaskState.AuthRequired, "auth-required", true)]
    [InlineData(TaskState.Completed, "completed", true)]
    [InlineData(TaskState.Canceled, "canceled", true)]
    [InlineData(TaskState.Failed, "failed", true)]
    [InlineData(TaskState.Rejected, "rejected", true)]
    [InlineData(TaskState.Unspecified, "unknown", false)]
    public void StatusUpdate_EveryState_KebabNameAndFinalWhenTheStreamEnds(TaskState state, string wire, bool final)
    {
        var update = new TaskStatusUpdateEvent { TaskId = "t", ContextId = "c", Status = new AgentTaskStatus { State = state } };

        var json = JsonSerializer.SerializeToElement(V03Mapping.ToV03(update), V03JsonContext.Default.V03TaskStatusUpdateEvent);

        Assert.Equal(wire, json.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(final, json.GetProperty("final").GetBoolean());
        V03Schema.AssertValid("TaskStatusUpdateEvent", json.GetRawText());
        Assert.Equal(state, V03Mapping.ToV1(JsonSerializer.Deserialize(json, V03JsonContext.Default.V03TaskStatusUpdateEvent)!).Status.State);
    }

    [Fact]
    public void SchemaCheck_StatusUpdateWithoutFinalOrWithV1State_IsRejected()
    {
        // The schema check above must be able to fail: a v1.0-shaped event is not a valid v0.3 one.
        Assert.Throws<Xunit.Sdk.FailException>(() => V03Schema.AssertValid("TaskStatusUpdateEvent", """{"kind":"status-update","taskId":"t","contextId":"c","status":{"state":"working"}}"""));
        Assert.Throws<Xunit.Sdk.FailException>(() => V03Schema.AssertValid("TaskStatusUpdateEvent", """{"kind":"status-update","taskId":"t","contextId":"c","final":false,"status":{"state":"TASK_STATE_WORKING"}}"""));
    }

    [Fact]
    public void StatusUpdate_ExplicitFinal_OverridesTheStateRule()
    {
        var update = new TaskStatusUpdateEvent { TaskId = "t", ContextId = "c", Status = new AgentTaskStatus { State = TaskState.Working } };

        Assert.True(V03Mapping.ToV03(update, final: true).Final);
    }

    [Fact]
    public void DataPart_NotAnObject_IsWrappedAsValueForV03()
    {
        var part = V03Mapping.ToV03(new Part { Data = Json("[1,2]") });

        var json = JsonSerializer.Serialize(part, V03JsonContext.Default.V03Part);

        JsonAssert.Equal("""{"kind":"data","data":{"value":[1,2]}}""", json);
        V03Schema.AssertValid("DataPart", json);
    }

    [Fact]
    public void FilePart_InvalidBase64_IsInvalidParams()
    {
        var part = JsonSerializer.Deserialize("""{"kind":"file","file":{"bytes":"not base64!"}}""", V03JsonContext.Default.V03Part)!;

        var error = Assert.Throws<A2AException>(() => V03Mapping.ToV1(part));

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
    }

    [Fact]
    public void Part_WithoutKind_IsTakenFromItsMember()
    {
        var parts = JsonSerializer.Deserialize("""{"messageId":"m","role":"user","parts":[{"text":"a"},{"file":{"uri":"u"}},{"data":{}}]}""", V03JsonContext.Default.V03Message)!.Parts;

        Assert.Collection(parts, p => Assert.IsType<V03TextPart>(p), p => Assert.IsType<V03FilePart>(p), p => Assert.IsType<V03DataPart>(p));
    }

    [Fact]
    public void Result_UnknownKind_ThrowsJsonException() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"kind":"surprise","id":"x"}""", V03JsonContext.Default.V03Result));

    [Fact]
    public void Result_KindAfterOtherMembers_IsFound()
    {
        var result = JsonSerializer.Deserialize("""{"taskId":"t","contextId":"c","status":{"state":"working"},"final":false,"kind":"status-update"}""", V03JsonContext.Default.V03Result);

        Assert.Equal(V03TaskState.Working, Assert.IsType<V03TaskStatusUpdateEvent>(result).Status.State);
    }

    [Fact]
    public void SendMessageRequest_ToV03_WritesBlockingAndPushConfigAndValidates()
    {
        var request = new SendMessageRequest
        {
            Message = UserMessage,
            Configuration = new SendMessageConfiguration
            {
                AcceptedOutputModes = ["text/plain"],
                HistoryLength = 2,
                TaskPushNotificationConfig = new TaskPushNotificationConfig { Id = "p1", Url = "https://hook.example/a2a", Token = "tok", Authentication = new AuthenticationInfo { Scheme = "Bearer", Credentials = "secret" } },
            },
            Metadata = Metadata("""{"trace":"1"}"""),
        };

        var json = JsonSerializer.Serialize(V03Mapping.ToV03(request), V03JsonContext.Default.V03MessageSendParams);

        V03Schema.AssertValid("MessageSendParams", json);
        using var document = JsonDocument.Parse(json);
        var configuration = document.RootElement.GetProperty("configuration");
        Assert.True(configuration.GetProperty("blocking").GetBoolean());
        JsonAssert.Equal("""{"id":"p1","url":"https://hook.example/a2a","token":"tok","authentication":{"schemes":["Bearer"],"credentials":"secret"}}""",
            configuration.GetProperty("pushNotificationConfig").GetRawText());

        var back = V03Mapping.ToV1(JsonSerializer.Deserialize(json, V03JsonContext.Default.V03MessageSendParams)!);
        Assert.False(back.Configuration!.ReturnImmediately);
        JsonAssert.Equal(JsonSerializer.Serialize(request.Message, A2AJsonContext.Default.Message), JsonSerializer.Serialize(back.Message, A2AJsonContext.Default.Message));
        Assert.Equal("Bearer", back.Configuration.TaskPushNotificationConfig!.Authentication!.Scheme);
    }

    [Fact]
    public void SendMessageRequest_ReturnImmediately_IsBlockingFalse()
    {
        var request = new SendMessageRequest { Message = Message.UserText("x"), Configuration = new SendMessageConfiguration { ReturnImmediately = true } };

        Assert.False(V03Mapping.ToV03(request).Configuration!.Blocking);
        Assert.Null(V03Mapping.ToV1(new V03MessageSendParams { Message = V03Mapping.ToV03(Message.UserText("x")), Configuration = new() }).Configuration!.ReturnImmediately);
    }

    [Fact]
    public void RequestParams_TaskQueryIdAndPushConfigParams_ValidateAgainstSchema()
    {
        V03Schema.AssertValid("TaskQueryParams", JsonSerializer.Serialize(V03Mapping.ToV03(new GetTaskRequest { Id = "t", HistoryLength = 3 }), V03JsonContext.Default.V03TaskQueryParams));
        V03Schema.AssertValid("TaskIdParams", JsonSerializer.Serialize(V03Mapping.ToV03(new CancelTaskRequest { Id = "t" }), V03JsonContext.Default.V03TaskIdParams));
        V03Schema.AssertValid("TaskIdParams", JsonSerializer.Serialize(V03Mapping.ToV03(new SubscribeToTaskRequest { Id = "t" }), V03JsonContext.Default.V03TaskIdParams));
        V03Schema.AssertValid("TaskPushNotificationConfig", JsonSerializer.Serialize(
            V03Mapping.ToV03(new TaskPushNotificationConfig { TaskId = "t", Url = "https://h/" }), V03JsonContext.Default.V03TaskPushNotificationConfig));
        V03Schema.AssertValid("GetTaskPushNotificationConfigParams", JsonSerializer.Serialize(
            V03Mapping.ToV03Get(new TaskPushNotificationConfigRequest { TaskId = "t", Id = "p" }), V03JsonContext.Default.V03GetTaskPushNotificationConfigParams));
        V03Schema.AssertValid("DeleteTaskPushNotificationConfigParams", JsonSerializer.Serialize(
            V03Mapping.ToV03Delete(new TaskPushNotificationConfigRequest { TaskId = "t", Id = "p" }), V03JsonContext.Default.V03DeleteTaskPushNotificationConfigParams));
        V03Schema.AssertValid("ListTaskPushNotificationConfigParams", JsonSerializer.Serialize(
            V03Mapping.ToV03(new ListTaskPushNotificationConfigsRequest { TaskId = "t" }), V03JsonContext.Default.V03ListTaskPushNotificationConfigParams));
    }
}
