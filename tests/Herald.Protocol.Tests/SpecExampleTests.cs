using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;

namespace Herald.Protocol.Tests;

/// <summary>The specification's own JSON examples, read and written through the v1.0 context.</summary>
public sealed class SpecExampleTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", name));

    [Fact]
    public void AgentCard_SpecSample_ReadsEveryDeclaredField()
    {
        var card = JsonSerializer.Deserialize(Golden("agent-card-8.5.json"), A2AJsonContext.Default.AgentCard)!;

        Assert.Equal("GeoSpatial Route Planner Agent", card.Name);
        Assert.Equal(["JSONRPC", "GRPC", "HTTP+JSON"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
        Assert.All(card.SupportedInterfaces, i => Assert.Equal("1.0", i.ProtocolVersion));
        Assert.Equal("Example Geo Services Inc.", card.Provider!.Organization);
        Assert.Equal("1.2.0", card.Version);
        Assert.True(card.Capabilities.Streaming);
        Assert.True(card.Capabilities.PushNotifications);
        Assert.True(card.Capabilities.ExtendedAgentCard);
        Assert.Equal("https://accounts.google.com/.well-known/openid-configuration",
            card.SecuritySchemes!["google"].OpenIdConnectSecurityScheme!.OpenIdConnectUrl);
        Assert.Equal(2, card.Skills.Count);
        Assert.Equal(["maps", "routing", "navigation", "directions", "traffic"], card.Skills[0].Tags);
        Assert.Equal(["image/png", "image/jpeg", "application/json", "text/html"], card.Skills[1].OutputModes!);
        Assert.Single(card.Signatures!);
        Assert.Equal("https://georoute-agent.example.com/icon.png", card.IconUrl);
    }

    [Fact]
    public void AgentCard_RoundTrip_PreservesEveryKnownField()
    {
        var original = JsonNode.Parse(Golden("agent-card-8.5.json"))!.AsObject();
        var card = JsonSerializer.Deserialize(original.ToJsonString(), A2AJsonContext.Default.AgentCard)!;
        var written = JsonNode.Parse(JsonSerializer.Serialize(card, A2AJsonContext.Default.AgentCard))!.AsObject();

        // "security" is the pre-1.0 name of securityRequirements; an unknown field is ignored on read.
        original.Remove("security");
        Assert.True(JsonNode.DeepEquals(original, written), $"expected {original.ToJsonString()}\nactual   {written.ToJsonString()}");
    }

    [Fact]
    public void SendMessageResponse_SpecTaskExample_ReadsCompletedTaskWithArtifact()
    {
        var response = JsonSerializer.Deserialize(Golden("send-response-6.1.json"), A2AJsonContext.Default.SendMessageResponse)!;

        Assert.Null(response.Message);
        var task = response.Task!;
        Assert.Equal("task-uuid", task.Id);
        Assert.Equal("context-uuid", task.ContextId);
        Assert.Equal(TaskState.Completed, task.Status.State);
        var artifact = Assert.Single(task.Artifacts!);
        Assert.Equal("Weather Report", artifact.Name);
        Assert.Equal("Today will be sunny with a high of 75°F", Assert.Single(artifact.Parts).Text);
    }

    [Fact]
    public void SendMessageResponse_FileReferenceExample_ReadsUrlPartAndTimestamp()
    {
        var task = JsonSerializer.Deserialize(Golden("send-response-6.7.json"), A2AJsonContext.Default.SendMessageResponse)!.Task!;

        Assert.Equal(new DateTimeOffset(2024, 3, 15, 12, 5, 0, TimeSpan.Zero), task.Status.Timestamp);
        var part = Assert.Single(Assert.Single(task.Artifacts!).Parts);
        Assert.Equal("https://storage.example.com/processed/task-bbb/output.png?token=xyz", part.Url);
        Assert.Equal("output.png", part.Filename);
        Assert.Equal("image/png", part.MediaType);
        Assert.Equal(1, part.ContentCount);
    }

    [Fact]
    public void Timestamp_Written_IsUtcWithMilliseconds()
    {
        var status = new AgentTaskStatus { State = TaskState.Working, Timestamp = new DateTimeOffset(2024, 3, 15, 14, 5, 0, 7, TimeSpan.FromHours(2)) };

        var json = JsonSerializer.Serialize(status, A2AJsonContext.Default.AgentTaskStatus);

        Assert.Equal("""{"state":"TASK_STATE_WORKING","timestamp":"2024-03-15T12:05:00.007Z"}""", json);
    }

    [Fact]
    public void GetTaskRequest_SpecExample_ReadsParams()
    {
        var envelope = JsonSerializer.Deserialize(Golden("get-task-request-9.4.3.json"), A2AJsonContext.Default.JsonRpcRequest)!;
        var request = envelope.Params!.Value.Deserialize(A2AJsonContext.Default.GetTaskRequest)!;

        Assert.Equal("GetTask", envelope.Method);
        Assert.Equal("task-uuid", request.Id);
        Assert.Equal(10, request.HistoryLength);
    }

    [Fact]
    public void ListTasksRequest_SpecExample_ReadsFilterAndPaging()
    {
        var envelope = JsonSerializer.Deserialize(Golden("list-tasks-request-9.4.4.json"), A2AJsonContext.Default.JsonRpcRequest)!;
        var request = envelope.Params!.Value.Deserialize(A2AJsonContext.Default.ListTasksRequest)!;

        Assert.Equal("context-uuid", request.ContextId);
        Assert.Equal(TaskState.Working, request.Status);
        Assert.Equal(50, request.PageSize);
        Assert.Equal("cursor-token", request.PageToken);
    }

    [Theory]
    [InlineData("error-invalid-params-9.5.json", -32602, "type.googleapis.com/google.rpc.BadRequest")]
    [InlineData("error-task-not-found-9.5.json", -32001, "type.googleapis.com/google.rpc.ErrorInfo")]
    public void JsonRpcError_SpecExamples_ReadCodeAndTypedDetails(string file, int code, string detailType)
    {
        var response = JsonSerializer.Deserialize(Golden(file), A2AJsonContext.Default.JsonRpcResponse)!;

        Assert.Null(response.Result);
        Assert.Equal(code, response.Error!.Code);
        var detail = Assert.Single(response.Error.Data!.Value.EnumerateArray());
        Assert.Equal(detailType, detail.GetProperty("@type").GetString());
    }

    [Fact]
    public void StreamResponse_EnumNames_AreProtoJsonNames()
    {
        var response = new StreamResponse
        {
            StatusUpdate = new TaskStatusUpdateEvent
            {
                TaskId = "t",
                ContextId = "c",
                Status = new AgentTaskStatus { State = TaskState.InputRequired, Message = Message.AgentText("more?") with { MessageId = "m" } },
            },
        };

        var json = JsonSerializer.Serialize(response, A2AJsonContext.Default.StreamResponse);

        Assert.Equal("""{"statusUpdate":{"taskId":"t","contextId":"c","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"m","role":"ROLE_AGENT","parts":[{"text":"more?"}]}}}}""", json);
    }

    [Fact]
    public void Message_UnknownFields_AreIgnored()
    {
        var message = JsonSerializer.Deserialize("""{"messageId":"m","role":"ROLE_USER","parts":[{"text":"hi","futureField":1}],"kind":"message","x":{"y":[1,2]}}""", A2AJsonContext.Default.Message)!;

        Assert.Equal("m", message.MessageId);
        Assert.Equal("hi", Assert.Single(message.Parts).Text);
    }

    [Fact]
    public void Part_RawBytes_AreBase64OnTheWire()
    {
        var json = JsonSerializer.Serialize(new Part { Raw = [1, 2, 3, 250], MediaType = "application/octet-stream" }, A2AJsonContext.Default.Part);
        var back = JsonSerializer.Deserialize(json, A2AJsonContext.Default.Part)!;

        Assert.Equal("""{"raw":"AQID+g==","mediaType":"application/octet-stream"}""", json);
        Assert.Equal(new byte[] { 1, 2, 3, 250 }, back.Raw);
    }

    [Fact]
    public void ArtifactUpdate_MissingRequiredArtifactId_IsRejected()
    {
        // The streaming example of spec 6.2 omits artifactId and contextId, which a2a.proto marks REQUIRED.
        const string json = """{"artifactUpdate":{"taskId":"task-uuid","artifact":{"parts":[{"text":"# Report"}]}}}""";

        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, A2AJsonContext.Default.StreamResponse));

        Assert.Contains("required", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("\"TASK_STATE_AUTH_REQUIRED\"", TaskState.AuthRequired)]
    [InlineData("8", TaskState.AuthRequired)]
    [InlineData("\"TASK_STATE_REJECTED\"", TaskState.Rejected)]
    public void TaskState_ReadsNamesAndNumbers(string json, TaskState expected)
    {
        var status = JsonSerializer.Deserialize($$"""{"state":{{json}}}""", A2AJsonContext.Default.AgentTaskStatus)!;

        Assert.Equal(expected, status.State);
    }

    [Fact]
    public void TaskState_Classification_MatchesSpec()
    {
        Assert.All([TaskState.Completed, TaskState.Failed, TaskState.Canceled, TaskState.Rejected], s => Assert.True(s.IsTerminal()));
        Assert.All([TaskState.InputRequired, TaskState.AuthRequired], s => Assert.True(s.IsInterrupted() && !s.IsTerminal()));
        Assert.All([TaskState.Submitted, TaskState.Working], s => Assert.False(s.EndsStream()));
    }
}

/// <summary>Members with defaults keep them when the JSON leaves them out.</summary>
public sealed class DefaultsTests
{
    [Fact]
    public void AgentCard_MinimalJson_KeepsNonNullDefaults()
    {
        var card = JsonSerializer.Deserialize("""{"name":"A","description":"d"}""", A2AJsonContext.Default.AgentCard)!;

        Assert.NotNull(card.SupportedInterfaces);
        Assert.Empty(card.SupportedInterfaces);
        Assert.NotNull(card.Capabilities);
        Assert.Equal("1.0.0", card.Version);
        Assert.Empty(card.Skills);
        Assert.Equal(["text/plain"], card.DefaultInputModes);
    }

    [Fact]
    public void Message_WithoutParts_HasEmptyParts()
    {
        var message = JsonSerializer.Deserialize("""{"messageId":"m","role":"ROLE_USER","parts":null}""", A2AJsonContext.Default.Message)!;
        var artifact = JsonSerializer.Deserialize("""{"artifactId":"a"}""", A2AJsonContext.Default.Artifact)!;

        Assert.Empty(message.Parts);
        Assert.Empty(artifact.Parts);
    }
}
