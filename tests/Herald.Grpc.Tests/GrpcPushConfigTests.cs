using Grpc.Core;
using Herald.Grpc.Tests.Infrastructure;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests;

/// <summary>The four push-config methods over gRPC: served when push notifications are on, FAILED_PRECONDITION when off.</summary>
public sealed class GrpcPushConfigTests
{
    [Fact]
    public async Task CreateGetListDelete_RoundTrip()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((context, ct) => context.RequireInputAsync("more?", ct).AsTask()), o =>
        {
            o.PushNotifications = true;
            o.WebhookAllow = ["127.0.0.1"];
        });
        var raw = server.Raw;
        var task = (await raw.SendMessageAsync(RawA2AClient.Text("hi"))).Task;
        var config = new P.TaskPushNotificationConfig
        {
            TaskId = task.Id,
            Id = "grpc-1",
            Url = "http://127.0.0.1:9/grpc",
            Token = "t",
            Authentication = new P.AuthenticationInfo { Scheme = "Bearer", Credentials = "c" },
        };

        var created = await raw.UnaryAsync("CreateTaskPushNotificationConfig", config, P.TaskPushNotificationConfig.Parser);
        var got = await raw.UnaryAsync("GetTaskPushNotificationConfig", new P.GetTaskPushNotificationConfigRequest { TaskId = task.Id, Id = "grpc-1" }, P.TaskPushNotificationConfig.Parser);
        var listed = await raw.UnaryAsync("ListTaskPushNotificationConfigs", new P.ListTaskPushNotificationConfigsRequest { TaskId = task.Id }, P.ListTaskPushNotificationConfigsResponse.Parser);
        await raw.UnaryAsync("DeleteTaskPushNotificationConfig", new P.DeleteTaskPushNotificationConfigRequest { TaskId = task.Id, Id = "grpc-1" }, Google.Protobuf.WellKnownTypes.Empty.Parser);

        Assert.Equal(config, created);
        Assert.Equal(config, got);
        Assert.Equal("grpc-1", Assert.Single(listed.Configs).Id);
        await RawA2AClient.AssertErrorAsync(
            () => raw.UnaryAsync("GetTaskPushNotificationConfig", new P.GetTaskPushNotificationConfigRequest { TaskId = task.Id, Id = "grpc-1" }, P.TaskPushNotificationConfig.Parser),
            StatusCode.NotFound, "TASK_NOT_FOUND");
        await RawA2AClient.AssertErrorAsync(
            () => raw.UnaryAsync("CreateTaskPushNotificationConfig", new P.TaskPushNotificationConfig { TaskId = task.Id, Url = "ftp://x" }, P.TaskPushNotificationConfig.Parser),
            StatusCode.InvalidArgument, "INVALID_PARAMS");
    }

    [Fact]
    public async Task Off_FailedPreconditionPushNotificationNotSupported()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((context, ct) => context.RequireInputAsync("more?", ct).AsTask()));
        var task = (await server.Raw.SendMessageAsync(RawA2AClient.Text("hi"))).Task;

        await RawA2AClient.AssertErrorAsync(
            () => server.Raw.UnaryAsync("CreateTaskPushNotificationConfig", new P.TaskPushNotificationConfig { TaskId = task.Id, Url = "http://127.0.0.1:9/" }, P.TaskPushNotificationConfig.Parser),
            StatusCode.FailedPrecondition, "PUSH_NOTIFICATION_NOT_SUPPORTED");
    }
}
