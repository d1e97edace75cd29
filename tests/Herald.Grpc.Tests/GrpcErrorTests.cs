using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Herald.Grpc.Tests.Infrastructure;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests;

/// <summary>
/// Every A2A error the gRPC binding produces, against the specification's table (5.4) and its gRPC error
/// representation (10.6): status code, message, ErrorInfo (reason, domain a2a-protocol.org, metadata),
/// BadRequest for the field that failed validation, and nothing of the server's internals.
/// </summary>
public sealed class GrpcErrorTests : IAsyncLifetime
{
    private readonly ControlledAgent _agent = new();
    private readonly InterceptingTaskStore _store = new();
    private GrpcTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await GrpcTestServer.StartAsync(h => h.AddAgent(_agent).UseStore(_ => _store), o => o.MaxRequestBodyBytes = 64 * 1024);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private RawA2AClient Raw => _server.Raw;

    [Fact]
    public async Task GetTask_UnknownTask_NotFoundWithTaskIdInErrorInfo()
    {
        var (error, info, _) = await RawA2AClient.AssertErrorAsync(() => Raw.GetTaskAsync("no-such-task"), StatusCode.NotFound, "TASK_NOT_FOUND");

        Assert.Contains("no-such-task", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("no-such-task", info.Metadata["taskId"]);
    }

    [Fact]
    public async Task CancelTask_CompletedTask_FailedPreconditionTaskNotCancelable()
    {
        var task = (await Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        var run = await _agent.NextRunAsync();
        await run.CompleteAsync();

        await RawA2AClient.AssertErrorAsync(() => Raw.CancelTaskAsync(task.Id), StatusCode.FailedPrecondition, "TASK_NOT_CANCELABLE");
    }

    [Fact]
    public async Task SendMessage_ToACompletedTask_FailedPreconditionUnsupportedOperation()
    {
        var task = (await Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        var run = await _agent.NextRunAsync();
        await run.CompleteAsync();

        await RawA2AClient.AssertErrorAsync(() => Raw.SendMessageAsync(RawA2AClient.Text("again", taskId: task.Id)), StatusCode.FailedPrecondition, "UNSUPPORTED_OPERATION");
    }

    [Fact]
    public async Task SubscribeToTask_TerminalTaskWithoutLastEventId_FailedPreconditionBeforeAnyItem()
    {
        var task = (await Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        var run = await _agent.NextRunAsync();
        await run.CompleteAsync();
        await using var stream = Raw.SubscribeToTask(task.Id);

        await RawA2AClient.AssertErrorAsync(() => stream.NextAsync(), StatusCode.FailedPrecondition, "UNSUPPORTED_OPERATION");
    }

    [Fact]
    public async Task SubscribeToTask_UnknownTask_NotFound()
    {
        await using var stream = Raw.SubscribeToTask("no-such-task");

        await RawA2AClient.AssertErrorAsync(() => stream.NextAsync(), StatusCode.NotFound, "TASK_NOT_FOUND");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("99")]
    public async Task SubscribeToTask_BadLastEventId_InvalidArgumentNamingTheKey(string lastEventId)
    {
        var task = (await Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        await _agent.NextRunAsync();
        await using var stream = Raw.SubscribeToTask(task.Id, lastEventId);

        var (_, _, badRequest) = await RawA2AClient.AssertErrorAsync(() => stream.NextAsync(), StatusCode.InvalidArgument, "INVALID_PARAMS");

        Assert.NotNull(badRequest);
        Assert.Contains(badRequest.FieldViolations, v => v.Field.Equals("last-event-id", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SendMessage_NoParts_InvalidArgumentWithTheField()
    {
        var request = RawA2AClient.Text();
        request.Message.Parts.Clear();

        var (_, _, badRequest) = await RawA2AClient.AssertErrorAsync(() => Raw.SendMessageAsync(request), StatusCode.InvalidArgument, "INVALID_PARAMS");

        Assert.NotNull(badRequest);
        Assert.StartsWith("message", badRequest.FieldViolations[0].Field, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMessage_NoMessage_InvalidArgument()
    {
        await RawA2AClient.AssertErrorAsync(() => Raw.SendMessageAsync(new P.SendMessageRequest()), StatusCode.InvalidArgument, "INVALID_PARAMS");
    }

    [Fact]
    public async Task GetTask_NoId_InvalidArgument()
    {
        await RawA2AClient.AssertErrorAsync(() => Raw.GetTaskAsync(""), StatusCode.InvalidArgument, "INVALID_PARAMS");
    }

    [Fact]
    public async Task ListTasks_PageSizeAboveTheMaximum_InvalidArgument()
    {
        await RawA2AClient.AssertErrorAsync(() => Raw.ListTasksAsync(new P.ListTasksRequest { PageSize = 1000 }), StatusCode.InvalidArgument, "INVALID_PARAMS");
    }

    [Fact]
    public async Task SendMessage_TimestampOutOfRange_InvalidArgumentNotInternal()
    {
        var request = new P.ListTasksRequest { StatusTimestampAfter = new Timestamp { Seconds = long.MaxValue } };

        await RawA2AClient.AssertErrorAsync(() => Raw.ListTasksAsync(request), StatusCode.InvalidArgument, "INVALID_PARAMS");
    }

    [Theory]
    [InlineData(null, "0.3 (assumed")]
    [InlineData("0.3", "'0.3'")]
    [InlineData("2.0", "'2.0'")]
    public async Task AnyMethod_UnsupportedOrMissingVersion_FailedPreconditionVersionNotSupported(string? version, string quoted)
    {
        var headers = new Metadata();
        if (version is not null)
        {
            headers.Add("a2a-version", version);
        }

        var (error, info, _) = await RawA2AClient.AssertErrorAsync(() => Raw.GetTaskAsync("x", headers: headers), StatusCode.FailedPrecondition, "VERSION_NOT_SUPPORTED");

        Assert.Contains(quoted, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("1.0,1.1", info.Metadata["supportedVersions"]);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1.0.3")]
    [InlineData("1.1")]
    public async Task AnyMethod_VersionSpelledOtherwise_Accepted(string version)
    {
        await RawA2AClient.AssertErrorAsync(() => Raw.GetTaskAsync("x", headers: new Metadata { { "A2A-Version", version } }), StatusCode.NotFound, "TASK_NOT_FOUND");
    }

    [Fact]
    public async Task SendStreamingMessage_WithoutVersion_RefusedBeforeTheStream()
    {
        await using var stream = Raw.SendStreamingMessage(RawA2AClient.Text(), new Metadata());

        await RawA2AClient.AssertErrorAsync(() => stream.NextAsync(), StatusCode.FailedPrecondition, "VERSION_NOT_SUPPORTED");
    }

    [Fact]
    public async Task PushNotificationConfigMethods_FailedPreconditionPushNotificationNotSupported()
    {
        await RawA2AClient.AssertErrorAsync(
            () => Raw.UnaryAsync("CreateTaskPushNotificationConfig", new P.TaskPushNotificationConfig { TaskId = "t", Url = "https://example.com/hook" }, P.TaskPushNotificationConfig.Parser),
            StatusCode.FailedPrecondition, "PUSH_NOTIFICATION_NOT_SUPPORTED");
        await RawA2AClient.AssertErrorAsync(
            () => Raw.UnaryAsync("GetTaskPushNotificationConfig", new P.GetTaskPushNotificationConfigRequest { TaskId = "t", Id = "c" }, P.TaskPushNotificationConfig.Parser),
            StatusCode.FailedPrecondition, "PUSH_NOTIFICATION_NOT_SUPPORTED");
        await RawA2AClient.AssertErrorAsync(
            () => Raw.UnaryAsync("ListTaskPushNotificationConfigs", new P.ListTaskPushNotificationConfigsRequest { TaskId = "t" }, P.ListTaskPushNotificationConfigsResponse.Parser),
            StatusCode.FailedPrecondition, "PUSH_NOTIFICATION_NOT_SUPPORTED");
        await RawA2AClient.AssertErrorAsync(
            () => Raw.UnaryAsync("DeleteTaskPushNotificationConfig", new P.DeleteTaskPushNotificationConfigRequest { TaskId = "t", Id = "c" }, Empty.Parser),
            StatusCode.FailedPrecondition, "PUSH_NOTIFICATION_NOT_SUPPORTED");
    }

    [Fact]
    public async Task GetExtendedAgentCard_NotDeclared_FailedPreconditionUnsupportedOperation()
    {
        await RawA2AClient.AssertErrorAsync(() => Raw.GetExtendedAgentCardAsync(), StatusCode.FailedPrecondition, "UNSUPPORTED_OPERATION");
    }

    [Fact]
    public async Task ListTasks_StoreFails_InternalWithoutInternals()
    {
        _store.FailList = () => new InvalidOperationException("disk on fire at C:\\secret\\path");

        var (error, _, _) = await RawA2AClient.AssertErrorAsync(() => Raw.ListTasksAsync(new P.ListTasksRequest()), StatusCode.Internal, "INTERNAL");

        Assert.Equal("Internal error", error.Status.Detail);
    }

    [Fact]
    public async Task SendMessage_LargerThanMaxRequestBodyBytes_ResourceExhaustedAndNoTask()
    {
        var request = RawA2AClient.Text(new string('x', 70 * 1024));

        var error = await Assert.ThrowsAsync<RpcException>(() => Raw.SendMessageAsync(request)).Within();

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, (await Raw.ListTasksAsync(new P.ListTasksRequest())).TotalSize);
    }

    [Fact]
    public async Task SendMessage_JustUnderTheLimit_Accepted()
    {
        var request = RawA2AClient.Text(new string('x', 60 * 1024), returnImmediately: true);

        var response = await Raw.SendMessageAsync(request).Within();

        Assert.Equal(P.SendMessageResponse.PayloadOneofCase.Task, response.PayloadCase);
        await _agent.NextRunAsync();
    }

    [Fact]
    public async Task UnknownMethod_Unimplemented()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Raw.UnaryAsync("NoSuchMethod", new P.GetTaskRequest { Id = "x" }, P.Task.Parser)).Within();

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }
}
