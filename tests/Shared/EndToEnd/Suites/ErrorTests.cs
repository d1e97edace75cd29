using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// The errors every binding must deliver with their A2A meaning (spec 3.3.2, 5.4): invalid params naming the field,
/// unsupported features, versions, internal failures without details. How each looks on the wire is the wire driver's
/// check (JSON-RPC envelope and code; REST status and google.rpc.Status per the spec's table; ...).
/// </summary>
public abstract class ErrorTests : BindingTests, IAsyncLifetime
{
    private HeraldTestServer _server = null!;

    private A2AWire Wire => _server.Wire;

    public async Task InitializeAsync() =>
        _server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string> InvalidSends => new()
    {
        { "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_ROBOT\",\"parts\":[{\"text\":\"x\"}]}}", "message.role" },
        { "{}", "message" },
        { "{\"message\":{\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\"}]}}", "message.messageId" },
        { "{\"message\":{\"messageId\":\"\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\"}]}}", "message.messageId" },
        { "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[]}}", "message.parts" },
        { "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_AGENT\",\"parts\":[{\"text\":\"x\"}]}}", "message.role" },
        { "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\",\"url\":\"http://a\"}]}}", "message.parts[0]" },
        { "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\"}]},\"configuration\":{\"historyLength\":-1}}", "configuration.historyLength" },
    };

    [Theory]
    [MemberData(nameof(InvalidSends))]
    public async Task SendMessage_InvalidRequest_InvalidParamsNamingTheField(string request, string field)
    {
        var error = await ErrorAsync(() => Wire.SendMessageAsync(JsonNode.Parse(request)!.AsObject()), A2AErrorCodes.InvalidParams);

        Assert.Equal(field, error.Field);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Equal("INVALID_PARAMS", error.Reason);
    }

    [Theory]
    [MemberData(nameof(InvalidSends))]
    public async Task SendStreamingMessage_InvalidRequest_InvalidParamsInsteadOfAStream(string request, string field)
    {
        var error = await ErrorAsync(() => Wire.SendStreamingMessageAsync(JsonNode.Parse(request)!.AsObject()), A2AErrorCodes.InvalidParams);

        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData("status", "TASK_STATE_RUNNING")]
    [InlineData("pageSize", "many")]
    [InlineData("statusTimestampAfter", "yesterday")]
    public async Task ListTasks_InvalidField_InvalidParamsNamingIt(string field, string value)
    {
        var error = await ErrorAsync(() => Wire.ListTasksAsync(new JsonObject { [field] = value }), A2AErrorCodes.InvalidParams);

        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData(PushConfigOperation.Create)]
    [InlineData(PushConfigOperation.Get)]
    [InlineData(PushConfigOperation.List)]
    [InlineData(PushConfigOperation.Delete)]
    public async Task PushNotificationConfig_AnyOperation_PushNotificationNotSupported(PushConfigOperation operation)
    {
        var error = await ErrorAsync(() => Wire.PushConfigAsync(operation, "x"), A2AErrorCodes.PushNotificationNotSupported);

        Assert.Equal("PUSH_NOTIFICATION_NOT_SUPPORTED", error.Reason);
    }

    [Fact]
    public async Task GetExtendedAgentCard_NotOffered_UnsupportedOperation()
    {
        await ErrorAsync(() => Wire.GetExtendedAgentCardAsync(), A2AErrorCodes.UnsupportedOperation);
    }

    /// <summary>Versions no binding speaks. (A missing version means 0.3, spec 3.6.2: which bindings speak 0.3 is each one's own test.)</summary>
    [Theory]
    [InlineData("2.0")]
    [InlineData("0.9")]
    [InlineData("one")]
    public async Task AnyOperation_UnsupportedVersion_VersionNotSupported(string? version)
    {
        var wire = Wire.WithVersion(version);

        var error = await ErrorAsync(() => wire.GetTaskAsync("x"), A2AErrorCodes.VersionNotSupported);
        await ErrorAsync(() => wire.SendStreamingMessageAsync(A2AWire.SendRequest()), A2AErrorCodes.VersionNotSupported);

        Assert.Equal("VERSION_NOT_SUPPORTED", error.Reason);
        Assert.Contains("1.0", error.Metadata["supportedVersions"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.0.2")]
    public async Task AnyOperation_SupportedVersion_IsAccepted(string version)
    {
        await ErrorAsync(() => Wire.WithVersion(version).GetTaskAsync("x"), A2AErrorCodes.TaskNotFound);
    }

    /// <summary>Every A2A error (spec 3.3.2), and the standard ones bindings map too, as the engine raises them.</summary>
    public static TheoryData<int> EngineErrors =>
    [
        A2AErrorCodes.TaskNotFound, A2AErrorCodes.TaskNotCancelable, A2AErrorCodes.PushNotificationNotSupported,
        A2AErrorCodes.UnsupportedOperation, A2AErrorCodes.ContentTypeNotSupported, A2AErrorCodes.InvalidAgentResponse,
        A2AErrorCodes.ExtendedAgentCardNotConfigured, A2AErrorCodes.ExtensionSupportRequired, A2AErrorCodes.VersionNotSupported,
        A2AErrorCodes.InvalidParams, A2AErrorCodes.InternalError,
    ];

    [Theory]
    [MemberData(nameof(EngineErrors))]
    public async Task AnyOperation_EngineRaisesA2AError_ArrivesWithItsCodeReasonAndMetadata(int code)
    {
        await using var server = await StartAsync(
            h => h.AddAgent((c, ct) => Task.CompletedTask),
            configureServices: s => s.AddSingleton<IHeraldEngine>(sp => new FailingEngine((IHeraldEngine)sp.GetRequiredService<IHeraldTasks>())));
        var id = $"fail-{code}";

        var get = await ErrorAsync(() => server.Wire.GetTaskAsync(id), code);
        var cancel = await ErrorAsync(() => server.Wire.CancelTaskAsync(id), code);
        var subscribe = await ErrorAsync(() => server.Wire.SubscribeToTaskAsync(id), code);

        Assert.All([get, cancel, subscribe], e =>
        {
            Assert.Equal(A2AErrorCodes.Reason(code), e.Reason);
            Assert.Equal($"raised {code}", e.Message);
            Assert.Equal(id, e.Metadata["taskId"]);
        });
    }

    [Fact]
    public async Task ListTasks_StoreThrows_InternalErrorWithoutDetailsAndLogged()
    {
        var store = new InterceptingTaskStore { FailList = () => new InvalidOperationException("SECRET: connection to db-7.internal refused") };
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => Task.CompletedTask), configureServices: s => s.AddSingleton<TaskStore>(store));

        var error = await ErrorAsync(() => server.Wire.ListTasksAsync(), A2AErrorCodes.InternalError);

        Assert.Equal("Internal error", error.Message);
        Assert.DoesNotContain("SECRET", error.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("db-7", error.Raw, StringComparison.Ordinal);
        Assert.Contains(server.Logs.Entries, e => e.Level == LogLevel.Error && e.Exception?.Message.StartsWith("SECRET", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Requests_StoreUnavailable_RetryableInternalErrorThatSaysSoThenWorkAgain()
    {
        var store = new FaultyTaskStore();
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()), configureServices: s => s.AddSingleton<TaskStore>(store));
        store.GoDown();

        var list = await ErrorAsync(() => server.Wire.ListTasksAsync(), A2AErrorCodes.InternalError);
        var send = await ErrorAsync(() => server.Wire.SendBlockingAsync(), A2AErrorCodes.InternalError);

        foreach (var error in new[] { list, send })
        {
            Assert.Contains("temporarily unavailable", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Injected", error.Raw, StringComparison.Ordinal);
        }

        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 1015 && e.Exception is TaskStoreUnavailableException);
        store.ComeBack();
        var task = await server.Wire.SendBlockingAsync();
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
    }

    /// <summary>The real engine, except that task ids <c>fail-&lt;code&gt;</c> raise that A2A error.</summary>
    private sealed class FailingEngine(IHeraldEngine inner) : IHeraldEngine
    {
        public bool HasAgent => inner.HasAgent;

        public ValueTask<SendResult> SendMessageAsync(Caller caller, SendMessageRequest request, CancellationToken cancellationToken = default) => inner.SendMessageAsync(caller, request, cancellationToken);

        public ValueTask<TaskStream> SendStreamingMessageAsync(Caller caller, SendMessageRequest request, CancellationToken cancellationToken = default) => inner.SendStreamingMessageAsync(caller, request, cancellationToken);

        public ValueTask<SendResult> SendMessageAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default) => inner.SendMessageAsync(caller, request, options, cancellationToken);

        public ValueTask<TaskStream> SendStreamingMessageAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default) => inner.SendStreamingMessageAsync(caller, request, options, cancellationToken);

        public ValueTask<AgentTask> GetTaskAsync(Caller caller, GetTaskRequest request, CancellationToken cancellationToken = default)
        {
            Fail(request.Id);
            return inner.GetTaskAsync(caller, request, cancellationToken);
        }

        public ValueTask<ListTasksResponse> ListTasksAsync(Caller caller, ListTasksRequest request, CancellationToken cancellationToken = default) => inner.ListTasksAsync(caller, request, cancellationToken);

        public ValueTask<AgentTask> CancelTaskAsync(Caller caller, CancelTaskRequest request, CancellationToken cancellationToken = default)
        {
            Fail(request.Id);
            return inner.CancelTaskAsync(caller, request, cancellationToken);
        }

        public ValueTask<TaskStream> SubscribeToTaskAsync(Caller caller, SubscribeToTaskRequest request, long? lastEventId = null, CancellationToken cancellationToken = default)
        {
            Fail(request.Id);
            return inner.SubscribeToTaskAsync(caller, request, lastEventId, cancellationToken);
        }

        public ValueTask<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfig config, CancellationToken cancellationToken = default) =>
            inner.CreateTaskPushNotificationConfigAsync(caller, config, cancellationToken);

        public ValueTask<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default) =>
            inner.GetTaskPushNotificationConfigAsync(caller, request, cancellationToken);

        public ValueTask<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(Caller caller, ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken = default) =>
            inner.ListTaskPushNotificationConfigsAsync(caller, request, cancellationToken);

        public ValueTask DeleteTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default) =>
            inner.DeleteTaskPushNotificationConfigAsync(caller, request, cancellationToken);

        private static void Fail(string? id)
        {
            if (id?.StartsWith("fail-", StringComparison.Ordinal) == true)
            {
                var code = int.Parse(id["fail-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                throw new A2AException(code, $"raised {code}") { Details = new Dictionary<string, string> { ["taskId"] = id } };
            }
        }
    }
}
