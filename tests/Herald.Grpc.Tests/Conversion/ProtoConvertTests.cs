using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Herald.Grpc.Conversion;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests.Conversion;

/// <summary>
/// The model to and from the messages of a2a.proto, field by field. Two checks for each shape: the proto
/// message, written as ProtoJSON by Google.Protobuf's own formatter, equals Herald's v1.0 JSON of the same
/// value (so every field lands in the proto field of the same name, enums and oneofs included); and the
/// model read back from the proto equals the original.
/// </summary>
public sealed class ProtoConvertTests
{
    private static readonly DateTimeOffset At = new(2025, 10, 28, 10, 30, 0, 123, TimeSpan.Zero);

    [Fact]
    public void Task_EveryFieldSet_ProtoJsonEqualsHeraldsJsonAndRoundTrips()
    {
        var task = SampleTask();

        var proto = ProtoConvert.ToProto(task);

        AssertSameJson(Json(task, A2AJsonContext.Default.AgentTask), proto);
        Assert.Equal(Json(task, A2AJsonContext.Default.AgentTask), Json(ProtoConvert.ToModel(proto), A2AJsonContext.Default.AgentTask));
    }

    [Fact]
    public void Task_ProtoFields_OneofsEnumsTimestampsBytesAndValues()
    {
        var proto = ProtoConvert.ToProto(SampleTask());

        Assert.Equal(P.TaskState.InputRequired, proto.Status.State);
        Assert.Equal(6, (int)proto.Status.State);
        Assert.Equal(At.ToUnixTimeSeconds(), proto.Status.Timestamp.Seconds);
        Assert.Equal(123_000_000, proto.Status.Timestamp.Nanos);
        Assert.Equal(P.Role.Agent, proto.Status.Message.Role);
        var parts = proto.Artifacts[0].Parts;
        Assert.Equal(
            [P.Part.ContentOneofCase.Text, P.Part.ContentOneofCase.Raw, P.Part.ContentOneofCase.Url, P.Part.ContentOneofCase.Data],
            parts.Select(p => p.ContentCase));
        Assert.Equal([0, 1, 2, 255], parts[1].Raw.ToByteArray().Select(b => (int)b));
        Assert.Equal("image/png", parts[1].MediaType);
        Assert.Equal("dot.png", parts[1].Filename);
        var data = parts[3].Data.StructValue.Fields;
        Assert.Equal(Value.KindOneofCase.NumberValue, data["n"].KindCase);
        Assert.Equal(1.5, data["n"].NumberValue);
        Assert.Equal(Value.KindOneofCase.BoolValue, data["b"].KindCase);
        Assert.Equal(Value.KindOneofCase.NullValue, data["z"].KindCase);
        Assert.Equal(["x", "2"], data["list"].ListValue.Values.Select(v => v.KindCase == Value.KindOneofCase.StringValue ? v.StringValue : v.NumberValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("deep", data["nested"].StructValue.Fields["inner"].StructValue.Fields["k"].StringValue);
        Assert.Equal("v", proto.Metadata.Fields["k"].StringValue);
        Assert.Equal(P.Role.User, proto.History[0].Role);
    }

    [Fact]
    public void Part_DataThatIsNotAnObject_ValueOfThatKind()
    {
        foreach (var json in new[] { "[1,\"a\",true]", "\"text\"", "42", "false" })
        {
            using var document = JsonDocument.Parse(json);
            var part = new Part { Data = document.RootElement.Clone() };

            var proto = ProtoConvert.ToProto(part);

            Assert.Equal(P.Part.ContentOneofCase.Data, proto.ContentCase);
            Assert.Equal(json, ProtoConvert.ToModel(proto).Data!.Value.GetRawText());
        }
    }

    [Fact]
    public void Part_EmptyProtoStrings_NullInTheModel()
    {
        var model = ProtoConvert.ToModel(new P.Part { Text = "t" });

        Assert.Equal("t", model.Text);
        Assert.Null(model.Filename);
        Assert.Null(model.MediaType);
        Assert.Null(model.Metadata);
        Assert.Null(model.Raw);
        Assert.Equal(1, model.ContentCount);
        Assert.Equal(0, ProtoConvert.ToModel(new P.Part()).ContentCount); // no content: validation's to refuse
    }

    [Fact]
    public void Value_NonFiniteNumbers_BecomeProtoJsonStrings()
    {
        var value = new Value { StructValue = new Struct { Fields = { ["nan"] = Value.ForNumber(double.NaN), ["inf"] = Value.ForNumber(double.NegativeInfinity) } } };

        var element = ProtoJson.ToElement(value);

        Assert.Equal("NaN", element.GetProperty("nan").GetString());
        Assert.Equal("-Infinity", element.GetProperty("inf").GetString());
    }

    [Fact]
    public void StreamResponse_EachMember_TheMatchingOneofCaseBothWays()
    {
        var task = SampleTask();
        var status = new TaskStatusUpdateEvent { TaskId = "t", ContextId = "c", Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = At }, Metadata = Meta("{\"m\":1}") };
        var artifact = new TaskArtifactUpdateEvent { TaskId = "t", ContextId = "c", Artifact = task.Artifacts![0], Append = true, LastChunk = true, Metadata = Meta("{\"m\":2}") };
        var message = task.History![0];

        (StreamResponse Model, P.StreamResponse.PayloadOneofCase Case)[] cases =
        [
            (new StreamResponse { Task = task }, P.StreamResponse.PayloadOneofCase.Task),
            (new StreamResponse { Message = message }, P.StreamResponse.PayloadOneofCase.Message),
            (new StreamResponse { StatusUpdate = status }, P.StreamResponse.PayloadOneofCase.StatusUpdate),
            (new StreamResponse { ArtifactUpdate = artifact }, P.StreamResponse.PayloadOneofCase.ArtifactUpdate),
        ];
        foreach (var (model, payload) in cases)
        {
            var proto = ProtoConvert.ToProto(model);

            Assert.Equal(payload, proto.PayloadCase);
            AssertSameJson(Json(model, A2AJsonContext.Default.StreamResponse), proto);
            Assert.Equal(Json(model, A2AJsonContext.Default.StreamResponse), Json(ProtoConvert.ToModel(proto)!, A2AJsonContext.Default.StreamResponse));
        }

        Assert.Null(ProtoConvert.ToModel(new P.StreamResponse()));
    }

    [Fact]
    public void ArtifactUpdate_FalseFlags_AbsentInTheModel()
    {
        var model = ProtoConvert.ToModel(new P.TaskArtifactUpdateEvent { TaskId = "t", ContextId = "c", Artifact = new P.Artifact { ArtifactId = "a" } });

        Assert.Null(model.Append);
        Assert.Null(model.LastChunk);
    }

    [Fact]
    public void SendMessageResponse_TaskOrMessage()
    {
        var task = SampleTask();

        Assert.Equal(P.SendMessageResponse.PayloadOneofCase.Task, ProtoConvert.ToProto(new SendMessageResponse { Task = task }).PayloadCase);
        Assert.Equal(P.SendMessageResponse.PayloadOneofCase.Message, ProtoConvert.ToProto(new SendMessageResponse { Message = task.History![0] }).PayloadCase);
        AssertSameJson(Json(new SendMessageResponse { Task = task }, A2AJsonContext.Default.SendMessageResponse), ProtoConvert.ToProto(new SendMessageResponse { Task = task }));
    }

    [Fact]
    public void SendMessageRequest_EveryField_ProtoJsonEqualsHeraldsJsonAndRoundTrips()
    {
        var request = new SendMessageRequest
        {
            Tenant = "acme",
            Message = SampleTask().History![0],
            Configuration = new SendMessageConfiguration
            {
                AcceptedOutputModes = ["text/plain", "application/json"],
                HistoryLength = 0,
                ReturnImmediately = true,
                TaskPushNotificationConfig = new TaskPushNotificationConfig
                {
                    Id = "cfg", Url = "https://example.com/hook", Token = "tok",
                    Authentication = new AuthenticationInfo { Scheme = "Bearer", Credentials = "secret" },
                },
            },
            Metadata = Meta("{\"trace\":\"abc\"}"),
        };

        var proto = ProtoConvert.ToProto(request);

        Assert.True(proto.Configuration.HasHistoryLength); // zero is "no history", not "unset"
        AssertSameJson(Json(request, A2AJsonContext.Default.SendMessageRequest), proto);
        Assert.Equal(Json(request, A2AJsonContext.Default.SendMessageRequest), Json(ProtoConvert.ToModel(proto), A2AJsonContext.Default.SendMessageRequest));
    }

    [Fact]
    public void Configuration_UnsetOptionalFields_NullInTheModel()
    {
        var model = ProtoConvert.ToModel(new P.SendMessageConfiguration());

        Assert.Null(model.HistoryLength);
        Assert.Null(model.ReturnImmediately);
        Assert.Null(model.AcceptedOutputModes);
        Assert.Null(model.TaskPushNotificationConfig);
    }

    [Fact]
    public void GetTaskRequest_HistoryLengthPresence_Kept()
    {
        Assert.Null(ProtoConvert.ToModel(new P.GetTaskRequest { Id = "t" }).HistoryLength);
        Assert.Equal(0, ProtoConvert.ToModel(new P.GetTaskRequest { Id = "t", HistoryLength = 0 }).HistoryLength);
        Assert.False(ProtoConvert.ToProto(new GetTaskRequest { Id = "t" }).HasHistoryLength);
        Assert.Equal(3, ProtoConvert.ToProto(new GetTaskRequest { Id = "t", HistoryLength = 3, Tenant = "x" }).HistoryLength);
    }

    [Fact]
    public void ListTasksRequest_EveryField_ProtoJsonEqualsHeraldsJsonAndRoundTrips()
    {
        var request = new ListTasksRequest
        {
            Tenant = "acme",
            ContextId = "ctx",
            Status = TaskState.Working,
            PageSize = 10,
            PageToken = "next",
            HistoryLength = 2,
            StatusTimestampAfter = At,
            IncludeArtifacts = false,
        };

        var proto = ProtoConvert.ToProto(request);

        Assert.True(proto.HasIncludeArtifacts);
        AssertSameJson(Json(request, A2AJsonContext.Default.ListTasksRequest), proto);
        Assert.Equal(Json(request, A2AJsonContext.Default.ListTasksRequest), Json(ProtoConvert.ToModel(proto), A2AJsonContext.Default.ListTasksRequest));
        var empty = ProtoConvert.ToModel(new P.ListTasksRequest());
        Assert.Equal(Json(new ListTasksRequest(), A2AJsonContext.Default.ListTasksRequest), Json(empty, A2AJsonContext.Default.ListTasksRequest));
    }

    [Fact]
    public void ListTasksResponse_RoundTrips()
    {
        var response = new ListTasksResponse { Tasks = [SampleTask()], NextPageToken = "p2", PageSize = 1, TotalSize = 7 };

        var proto = ProtoConvert.ToProto(response);

        AssertSameJson(Json(response, A2AJsonContext.Default.ListTasksResponse), proto);
        Assert.Equal(Json(response, A2AJsonContext.Default.ListTasksResponse), Json(ProtoConvert.ToModel(proto), A2AJsonContext.Default.ListTasksResponse));
    }

    [Fact]
    public void CancelAndSubscribeRequests_RoundTrip()
    {
        var cancel = new CancelTaskRequest { Tenant = "acme", Id = "t", Metadata = Meta("{\"why\":\"done\"}") };
        var subscribe = new SubscribeToTaskRequest { Tenant = "acme", Id = "t" };

        AssertSameJson(Json(cancel, A2AJsonContext.Default.CancelTaskRequest), ProtoConvert.ToProto(cancel));
        Assert.Equal(Json(cancel, A2AJsonContext.Default.CancelTaskRequest), Json(ProtoConvert.ToModel(ProtoConvert.ToProto(cancel)), A2AJsonContext.Default.CancelTaskRequest));
        AssertSameJson(Json(subscribe, A2AJsonContext.Default.SubscribeToTaskRequest), ProtoConvert.ToProto(subscribe));
        Assert.Equal(Json(subscribe, A2AJsonContext.Default.SubscribeToTaskRequest), Json(ProtoConvert.ToModel(ProtoConvert.ToProto(subscribe)), A2AJsonContext.Default.SubscribeToTaskRequest));
    }

    [Fact]
    public void PushNotificationConfigs_RoundTrip()
    {
        var config = new TaskPushNotificationConfig
        {
            Tenant = "acme", Id = "cfg", TaskId = "t", Url = "https://example.com/hook", Token = "tok",
            Authentication = new AuthenticationInfo { Scheme = "Bearer", Credentials = "secret" },
        };
        var list = new ListTaskPushNotificationConfigsResponse { Configs = [config], NextPageToken = "n" };
        var listRequest = new ListTaskPushNotificationConfigsRequest { Tenant = "acme", TaskId = "t", PageSize = 5, PageToken = "p" };
        var get = new TaskPushNotificationConfigRequest { Tenant = "acme", TaskId = "t", Id = "cfg" };

        AssertSameJson(Json(config, A2AJsonContext.Default.TaskPushNotificationConfig), ProtoConvert.ToProto(config));
        Assert.Equal(Json(config, A2AJsonContext.Default.TaskPushNotificationConfig), Json(ProtoConvert.ToModel(ProtoConvert.ToProto(config)), A2AJsonContext.Default.TaskPushNotificationConfig));
        Assert.Equal(Json(list, A2AJsonContext.Default.ListTaskPushNotificationConfigsResponse),
            Json(ProtoConvert.ToModel(ProtoConvert.ToProto(list)), A2AJsonContext.Default.ListTaskPushNotificationConfigsResponse));
        AssertSameJson(Json(listRequest, A2AJsonContext.Default.ListTaskPushNotificationConfigsRequest), ProtoConvert.ToProto(listRequest));
        Assert.Equal(Json(listRequest, A2AJsonContext.Default.ListTaskPushNotificationConfigsRequest),
            Json(ProtoConvert.ToModel(ProtoConvert.ToProto(listRequest)), A2AJsonContext.Default.ListTaskPushNotificationConfigsRequest));
        Assert.Equal(Json(get, A2AJsonContext.Default.TaskPushNotificationConfigRequest),
            Json(ProtoConvert.ToModel(ProtoConvert.ToGetProto(get)), A2AJsonContext.Default.TaskPushNotificationConfigRequest));
        Assert.Equal(Json(get, A2AJsonContext.Default.TaskPushNotificationConfigRequest),
            Json(ProtoConvert.ToModel(ProtoConvert.ToDeleteProto(get)), A2AJsonContext.Default.TaskPushNotificationConfigRequest));
    }

    [Fact]
    public void AgentCard_EveryFieldAndEverySecurityScheme_ProtoJsonEqualsHeraldsJsonAndRoundTrips()
    {
        var card = SampleCard();

        var proto = ProtoConvert.ToProto(card);

        Assert.Equal(5, proto.SecuritySchemes.Count);
        Assert.Equal(P.SecurityScheme.SchemeOneofCase.Oauth2SecurityScheme, proto.SecuritySchemes["oauth"].SchemeCase);
        AssertSameJson(Json(card, A2AJsonContext.Default.AgentCard), proto);
        Assert.Equal(Json(card, A2AJsonContext.Default.AgentCard), Json(ProtoConvert.ToModel(proto), A2AJsonContext.Default.AgentCard));
    }

    [Fact]
    public void AgentCard_EachOAuthFlow_RoundTrips()
    {
        OAuthFlows[] flows =
        [
            new() { AuthorizationCode = new() { AuthorizationUrl = "https://a/auth", TokenUrl = "https://a/token", RefreshUrl = "https://a/r", Scopes = new() { ["read"] = "Read" }, PkceRequired = true } },
            new() { ClientCredentials = new() { TokenUrl = "https://a/token", Scopes = new() { ["w"] = "Write" } } },
            new() { Implicit = new() { AuthorizationUrl = "https://a/auth", Scopes = new() { ["x"] = "X" } } },
            new() { Password = new() { TokenUrl = "https://a/token", Scopes = new() { ["y"] = "Y" } } },
            new() { DeviceCode = new() { DeviceAuthorizationUrl = "https://a/device", TokenUrl = "https://a/token", Scopes = new() { ["z"] = "Z" } } },
        ];
        foreach (var flow in flows)
        {
            var card = new AgentCard
            {
                Name = "n", Description = "d",
                SupportedInterfaces = [new AgentInterface { Url = "https://a", ProtocolBinding = "GRPC", ProtocolVersion = "1.0" }],
                SecuritySchemes = new() { ["o"] = new SecurityScheme { Oauth2SecurityScheme = new() { Flows = flow } } },
            };

            var proto = ProtoConvert.ToProto(card);

            AssertSameJson(Json(card, A2AJsonContext.Default.AgentCard), proto);
            Assert.Equal(Json(card, A2AJsonContext.Default.AgentCard), Json(ProtoConvert.ToModel(proto), A2AJsonContext.Default.AgentCard));
        }
    }

    [Fact]
    public void EventIds_StampThenTake_IdOutAgentMetadataKept()
    {
        var response = ProtoConvert.ToProto(new StreamResponse
        {
            StatusUpdate = new TaskStatusUpdateEvent { TaskId = "t", ContextId = "c", Status = new AgentTaskStatus { State = TaskState.Working }, Metadata = Meta("{\"mine\":true}") },
        });

        GrpcEventIds.Stamp(response, 42);
        Assert.Equal("42", response.StatusUpdate.Metadata.Fields[HeraldExtensionUris.ResumableStreams].StructValue.Fields["eventId"].StringValue);
        var id = GrpcEventIds.Take(response);

        Assert.Equal("42", id);
        Assert.Equal(["mine"], response.StatusUpdate.Metadata.Fields.Keys);
        Assert.Null(GrpcEventIds.Take(response));
    }

    [Fact]
    public void EventIds_StampOnAnItemWithoutMetadata_TakeLeavesNoMap()
    {
        var response = ProtoConvert.ToProto(new StreamResponse { Task = new AgentTask { Id = "t", Status = new AgentTaskStatus { State = TaskState.Submitted } } });
        var reply = ProtoConvert.ToProto(new StreamResponse { Message = Message.AgentText("hi") });

        GrpcEventIds.Stamp(response, 1);
        GrpcEventIds.Stamp(reply, 1);

        Assert.Equal("1", GrpcEventIds.Take(response));
        Assert.Null(response.Task.Metadata);
        Assert.Null(reply.Message.Metadata); // a direct reply has nothing to resume
        Assert.Null(GrpcEventIds.Take(reply));
    }

    // ---- samples and helpers ----

    private static AgentTask SampleTask() => new()
    {
        Id = "task-1",
        ContextId = "ctx-1",
        Status = new AgentTaskStatus { State = TaskState.InputRequired, Message = Message.AgentText("which one?") with { MessageId = "m-status", ContextId = "ctx-1", TaskId = "task-1" }, Timestamp = At },
        Artifacts =
        [
            new Artifact
            {
                ArtifactId = "a-1",
                Name = "result",
                Description = "all kinds of parts",
                Parts =
                [
                    new Part { Text = "hello", Metadata = Meta("{\"lang\":\"en\"}") },
                    new Part { Raw = [0, 1, 2, 255], MediaType = "image/png", Filename = "dot.png" },
                    new Part { Url = "https://example.com/file.pdf", MediaType = "application/pdf" },
                    new Part { Data = Element("{\"n\":1.5,\"b\":true,\"z\":null,\"list\":[\"x\",2],\"nested\":{\"inner\":{\"k\":\"deep\"}}}") },
                ],
                Metadata = Meta("{\"version\":3}"),
                Extensions = ["https://example.com/ext/v1"],
            },
        ],
        History =
        [
            new Message
            {
                MessageId = "m-1",
                ContextId = "ctx-1",
                TaskId = "task-1",
                Role = Role.User,
                Parts = [Part.FromText("do it")],
                Metadata = Meta("{\"client\":\"test\"}"),
                Extensions = ["https://example.com/ext/v1"],
                ReferenceTaskIds = ["task-0"],
            },
        ],
        Metadata = Meta("{\"k\":\"v\",\"n\":[1,2,{\"x\":null}]}"),
    };

    private static AgentCard SampleCard() => new()
    {
        Name = "Card",
        Description = "Every field.",
        SupportedInterfaces =
        [
            new AgentInterface { Url = "https://a.example/a2a", ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" },
            new AgentInterface { Url = "https://a.example:8443", ProtocolBinding = "GRPC", ProtocolVersion = "1.0", Tenant = "t1" },
        ],
        Provider = new AgentProvider { Url = "https://example.com", Organization = "Example" },
        Version = "2.1.0",
        DocumentationUrl = "https://example.com/docs",
        Capabilities = new AgentCapabilities
        {
            Streaming = true,
            PushNotifications = false,
            ExtendedAgentCard = true,
            Extensions = [new AgentExtension { Uri = "urn:x", Description = "an extension", Required = true, Params = Meta("{\"p\":1}") }],
        },
        SecuritySchemes = new()
        {
            ["key"] = new SecurityScheme { ApiKeySecurityScheme = new() { Description = "api key", Location = "header", Name = "X-Key" } },
            ["http"] = new SecurityScheme { HttpAuthSecurityScheme = new() { Scheme = "Bearer", BearerFormat = "JWT" } },
            ["oauth"] = new SecurityScheme
            {
                Oauth2SecurityScheme = new() { Flows = new OAuthFlows { ClientCredentials = new() { TokenUrl = "https://a/token", Scopes = new() { ["a"] = "A" } } }, Oauth2MetadataUrl = "https://a/.well-known" },
            },
            ["oidc"] = new SecurityScheme { OpenIdConnectSecurityScheme = new() { OpenIdConnectUrl = "https://a/.well-known/openid-configuration" } },
            ["mtls"] = new SecurityScheme { MtlsSecurityScheme = new() { Description = "client certs" } },
        },
        SecurityRequirements = [new SecurityRequirement { Schemes = new() { ["oauth"] = new StringList { List = ["a"] } } }],
        DefaultInputModes = ["text/plain"],
        DefaultOutputModes = ["text/plain", "application/json"],
        Skills =
        [
            new AgentSkill
            {
                Id = "s", Name = "Skill", Description = "Does things", Tags = ["t"], Examples = ["do a thing"],
                InputModes = ["text/plain"], OutputModes = ["application/json"],
                SecurityRequirements = [new SecurityRequirement { Schemes = new() { ["key"] = new StringList() } }],
            },
        ],
        Signatures = [new AgentCardSignature { Protected = "eyJ", Signature = "sig", Header = Meta("{\"kid\":\"1\"}") }],
        IconUrl = "https://example.com/icon.png",
    };

    private static Dictionary<string, JsonElement> Meta(string json) =>
        JsonSerializer.Deserialize(json, A2AJsonContext.Default.DictionaryStringJsonElement)!;

    private static JsonElement Element(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) => JsonSerializer.Serialize(value, info);

    /// <summary>
    /// Google.Protobuf's ProtoJSON of <paramref name="proto"/> and Herald's JSON denote the same value. Proto3 has no
    /// empty list distinct from an absent one, and ProtoJSON writes none; Herald writes the required ones (<c>skills: []</c>).
    /// </summary>
    private static void AssertSameJson(string heraldJson, IMessage proto)
    {
        var protoJson = JsonFormatter.Default.Format(proto);
        var expected = WithoutEmptyLists(JsonNode.Parse(heraldJson));
        var actual = WithoutEmptyLists(JsonNode.Parse(protoJson));
        Assert.True(JsonNode.DeepEquals(expected, actual), $"Herald: {heraldJson}\nProtoJSON: {protoJson}");
    }

    private static JsonNode? WithoutEmptyLists(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (value is JsonArray { Count: 0 })
                    {
                        obj.Remove(name);
                    }
                    else
                    {
                        WithoutEmptyLists(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    WithoutEmptyLists(item);
                }

                break;
        }

        return node;
    }
}
