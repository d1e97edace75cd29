using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol.Tests.Infrastructure;
using Herald.Protocol.V03;

namespace Herald.Protocol.Tests.V03;

/// <summary>
/// The v0.3 specification's own JSON examples (Golden/v03, errata in its README): each is valid against
/// the v0.3 schema, reads into the v0.3 records, and writes back to the same JSON, field by field.
/// </summary>
public sealed class V03SpecExampleTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Golden", "v03");

    private static JsonObject Load(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")))!.AsObject();

    public static TheoryData<string> Messages => [.. Directory.GetFiles(Folder, "9.*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Example_ReadAndWrittenBack_IsTheSameJsonAndSchemaValid(string name)
    {
        var message = Load(name);

        if (message["method"] is { } method)
        {
            // A request: message/send or message/stream with MessageSendParams.
            var definition = method.GetValue<string>() == V03Methods.SendStreamingMessage ? "SendStreamingMessageRequest" : "SendMessageRequest";
            V03Schema.AssertValid(definition, message.ToJsonString());
            var original = message["params"]!.ToJsonString();
            var parameters = JsonSerializer.Deserialize(original, V03JsonContext.Default.V03MessageSendParams)!;
            JsonAssert.Equal(original, JsonSerializer.Serialize(parameters, V03JsonContext.Default.V03MessageSendParams));
        }
        else if (message["result"] is { } result)
        {
            V03Schema.AssertValid("SendStreamingMessageSuccessResponse", message.ToJsonString());
            var original = result.ToJsonString();
            var read = JsonSerializer.Deserialize(original, V03JsonContext.Default.V03Result)!;
            JsonAssert.Equal(original, JsonSerializer.Serialize(read, V03JsonContext.Default.V03Result));
        }
        else
        {
            // The push notification body: a bare Task.
            V03Schema.AssertValid("Task", message.ToJsonString());
            var task = JsonSerializer.Deserialize(message.ToJsonString(), V03JsonContext.Default.V03Task)!;
            JsonAssert.Equal(message.ToJsonString(), JsonSerializer.Serialize(task, V03JsonContext.Default.V03Task));
        }
    }

    [Fact]
    public void StreamExample_MapsToV1_TaskThenChunksThenCompleted()
    {
        var kinds = new List<string>();
        for (var i = 2; i <= 5; i++)
        {
            var result = JsonSerializer.Deserialize(Load($"9.3-stream-event-{i}")["result"]!.ToJsonString(), V03JsonContext.Default.V03Result)!;
            var item = V03Mapping.ToV1(result);
            kinds.Add(item.ArtifactUpdate is { } a ? $"chunk append={a.Append} last={a.LastChunk} {a.Artifact.Parts[0].Text}" : $"status {item.StatusUpdate!.Status.State}");
        }

        Assert.Equal(
            ["chunk append=False last=False <section 1...>", "chunk append=True last=False <section 2...>", "chunk append=True last=True <section 3...>", "status Completed"],
            kinds);
    }

    [Fact]
    public void MultiTurnExample_InputRequiredThenFollowUp_MapsToV1()
    {
        var waiting = V03Mapping.ToSendMessageResponse(JsonSerializer.Deserialize(Load("9.4-input-required-response")["result"]!.ToJsonString(), V03JsonContext.Default.V03Result)!).Task!;
        var followUp = V03Mapping.ToV1(JsonSerializer.Deserialize(Load("9.4-follow-up-request")["params"]!.ToJsonString(), V03JsonContext.Default.V03MessageSendParams)!);
        var done = V03Mapping.ToSendMessageResponse(JsonSerializer.Deserialize(Load("9.4-completed-response")["result"]!.ToJsonString(), V03JsonContext.Default.V03Result)!).Task!;

        Assert.Equal(TaskState.InputRequired, waiting.Status.State);
        Assert.Equal(Role.Agent, waiting.Status.Message!.Role);
        Assert.Equal(new DateTimeOffset(2024, 3, 15, 10, 10, 0, TimeSpan.Zero), waiting.Status.Timestamp);
        Assert.Equal(waiting.Id, followUp.Message!.TaskId);
        Assert.Equal(waiting.ContextId, followUp.Message.ContextId);
        Assert.False(followUp.Configuration!.ReturnImmediately); // "blocking": true
        Assert.Equal(TaskState.Completed, done.Status.State);
        Assert.Equal("XYZ123", Assert.Single(Assert.Single(done.Artifacts!).Parts).Data!.Value.GetProperty("confirmationId").GetString());
        Assert.Equal([Role.User, Role.Agent, Role.User], done.History!.Select(m => m.Role));
    }

    [Fact]
    public void FileExamples_BytesAndUri_MapToRawAndUrlParts()
    {
        var sent = V03Mapping.ToV1(JsonSerializer.Deserialize(Load("9.6-file-bytes-request")["params"]!.ToJsonString(), V03JsonContext.Default.V03MessageSendParams)!);
        var answered = V03Mapping.ToSendMessageResponse(JsonSerializer.Deserialize(Load("9.6-file-uri-response")["result"]!.ToJsonString(), V03JsonContext.Default.V03Result)!).Task!;

        var upload = sent.Message!.Parts[1];
        Assert.Equal(Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAUA"), upload.Raw);
        Assert.Equal(("input_image.png", "image/png"), (upload.Filename, upload.MediaType));
        var download = Assert.Single(Assert.Single(answered.Artifacts!).Parts);
        Assert.Equal("https://storage.example.com/processed/task-bbb/output.png?token=xyz", download.Url);
        Assert.Equal(("output.png", "image/png"), (download.Filename, download.MediaType));
    }

    [Fact]
    public void PushConfigExample_MapsWebhookTokenAndScheme()
    {
        var request = V03Mapping.ToV1(JsonSerializer.Deserialize(Load("9.5-push-config-request")["params"]!.ToJsonString(), V03JsonContext.Default.V03MessageSendParams)!);

        var config = request.Configuration!.TaskPushNotificationConfig!;
        Assert.Equal("https://client.example.com/webhook/a2a-notifications", config.Url);
        Assert.Equal("secure-client-token-for-task-aaa", config.Token);
        Assert.Equal("Bearer", config.Authentication!.Scheme);
    }

    [Fact]
    public void AgentCardExample_ValidReadWrittenBackAndMappedToV1()
    {
        var original = Load("agent-card-5.7");
        V03Schema.AssertValid("AgentCard", original.ToJsonString());

        var card = JsonSerializer.Deserialize(original.ToJsonString(), V03JsonContext.Default.V03AgentCard)!;
        JsonAssert.Equal(original.ToJsonString(), JsonSerializer.Serialize(card, V03JsonContext.Default.V03AgentCard));

        var v1 = V03Mapping.ToV1(card);
        Assert.Equal(
            ["JSONRPC 0.2.9 https://georoute-agent.example.com/a2a/v1", "GRPC 0.2.9 https://georoute-agent.example.com/a2a/grpc", "HTTP+JSON 0.2.9 https://georoute-agent.example.com/a2a/json"],
            v1.SupportedInterfaces.Select(i => $"{i.ProtocolBinding} {i.ProtocolVersion} {i.Url}"));
        Assert.True(v1.Capabilities.ExtendedAgentCard);
        Assert.Equal("https://accounts.google.com/.well-known/openid-configuration", v1.SecuritySchemes!["google"].OpenIdConnectSecurityScheme!.OpenIdConnectUrl);
        Assert.Equal(["openid", "profile", "email"], v1.SecurityRequirements![0].Schemes!["google"].List);

        // And back: the v0.3 card Herald would publish for it is valid too.
        var again = JsonSerializer.Serialize(V03Mapping.ToV03(v1), V03JsonContext.Default.V03AgentCard);
        V03Schema.AssertValid("AgentCard", again);
        using var document = JsonDocument.Parse(again);
        Assert.Equal("https://georoute-agent.example.com/a2a/v1", document.RootElement.GetProperty("url").GetString());
        Assert.Equal("JSONRPC", document.RootElement.GetProperty("preferredTransport").GetString());
        Assert.Equal(3, document.RootElement.GetProperty("additionalInterfaces").GetArrayLength());
    }

    [Fact]
    public void V1Card_ToV03_MainUrlIsTheFirstV03InterfaceAndValid()
    {
        var card = new AgentCard
        {
            Name = "Herald",
            Description = "d",
            SupportedInterfaces =
            [
                new AgentInterface { Url = "http://h/a2a", ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" },
                new AgentInterface { Url = "http://h/a2a", ProtocolBinding = "JSONRPC", ProtocolVersion = "0.3" },
                new AgentInterface { Url = "http://h/rest", ProtocolBinding = "HTTP+JSON", ProtocolVersion = "0.3" },
            ],
            Capabilities = new AgentCapabilities { Streaming = true, ExtendedAgentCard = false },
            Skills = [new AgentSkill { Id = "s", Name = "S", Description = "d", Tags = ["t"] }],
        };

        var json = JsonSerializer.Serialize(V03Mapping.ToV03(card), V03JsonContext.Default.V03AgentCard);

        V03Schema.AssertValid("AgentCard", json);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("http://h/a2a", root.GetProperty("url").GetString());
        Assert.Equal("0.3.0", root.GetProperty("protocolVersion").GetString());
        Assert.Equal(["JSONRPC http://h/a2a", "HTTP+JSON http://h/rest"],
            root.GetProperty("additionalInterfaces").EnumerateArray().Select(i => $"{i.GetProperty("transport").GetString()} {i.GetProperty("url").GetString()}"));
        Assert.False(root.GetProperty("supportsAuthenticatedExtendedCard").GetBoolean());
    }
}
