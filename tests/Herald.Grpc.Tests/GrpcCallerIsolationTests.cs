using Grpc.Core;
using Herald.Grpc.Tests.Infrastructure;
using Herald.Protocol;
using Herald.Server.Storage;
using Herald.Testing;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests;

/// <summary>
/// Tasks are their caller's on gRPC too: another principal gets NOT_FOUND, the status an unknown id gets, for every
/// operation on a task (Last-Event-ID replay included) and nothing changes; ListTasks shows only one's own tasks; a call
/// without credentials is UNAUTHENTICATED; a tenant other than the credentials' is PERMISSION_DENIED.
/// </summary>
public sealed class GrpcCallerIsolationTests : IAsyncLifetime
{
    private GrpcTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await GrpcTestServer.StartAsync(
            h => h.AddAgent(async (context, ct) =>
            {
                await context.StartWorkAsync("thinking", ct);
                await (context.IsContinuation ? context.CompleteAsync("thanks", ct) : context.RequireInputAsync("your name?", ct));
            }),
            configureServices: TestAuthenticationHandler.AddTestAuthentication);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static Metadata As(string principal, string? tenant = null, bool ids = false)
    {
        var headers = ids ? RawA2AClient.WithIds : RawA2AClient.V1;
        headers.Add("authorization", TestAuthenticationHandler.Header(principal, tenant));
        return headers;
    }

    [Fact]
    public async Task AnotherPrincipal_GetsNotFoundForEverything_AndChangesNothing()
    {
        var raw = _server.Raw;
        var task = (await raw.SendMessageAsync(RawA2AClient.Text("hi"), As("alice"))).Task;
        Assert.Equal(P.TaskState.InputRequired, task.Status.State);
        var unknown = "unknown-" + Guid.NewGuid().ToString("N");

        foreach (var id in new[] { task.Id, unknown })
        {
            await RawA2AClient.AssertErrorAsync(() => raw.GetTaskAsync(id, headers: As("bob")), StatusCode.NotFound, "TASK_NOT_FOUND");
            await RawA2AClient.AssertErrorAsync(() => raw.CancelTaskAsync(id, As("bob")), StatusCode.NotFound, "TASK_NOT_FOUND");
            await RawA2AClient.AssertErrorAsync(() => raw.SendMessageAsync(RawA2AClient.Text("Mallory", taskId: id), As("bob")), StatusCode.NotFound, "TASK_NOT_FOUND");
            await RawA2AClient.AssertErrorAsync(async () =>
            {
                await using var stream = raw.SubscribeToTask(id, headers: As("bob", ids: true));
                await stream.NextAsync();
            }, StatusCode.NotFound, "TASK_NOT_FOUND");
            await RawA2AClient.AssertErrorAsync(async () =>
            {
                await using var stream = raw.SubscribeToTask(id, lastEventId: "0", headers: As("bob", ids: true));
                await stream.NextAsync();
            }, StatusCode.NotFound, "TASK_NOT_FOUND");
            await RawA2AClient.AssertErrorAsync(async () =>
            {
                await using var stream = raw.SendStreamingMessage(RawA2AClient.Text("Mallory", taskId: id), As("bob"));
                await stream.NextAsync();
            }, StatusCode.NotFound, "TASK_NOT_FOUND");
        }

        var bobs = await raw.ListTasksAsync(new P.ListTasksRequest(), As("bob"));
        Assert.Empty(bobs.Tasks);
        Assert.Equal(0, bobs.TotalSize);
        Assert.Contains((await raw.ListTasksAsync(new P.ListTasksRequest(), As("alice"))).Tasks, t => t.Id == task.Id);

        var store = _server.Services.GetService(typeof(TaskStore)) as TaskStore;
        var snapshot = (await store!.GetAsync(task.Id))!;
        Assert.Equal(TaskState.InputRequired, snapshot.Task.Status.State);
        Assert.Equal(new TaskOwner("alice", ""), snapshot.Owner);
        Assert.DoesNotContain(await store.ReadAsync(task.Id, 0, 100), e => e.Message?.GetText() == "Mallory");
    }

    [Fact]
    public async Task WithoutCredentials_Unauthenticated_AndAnotherTenant_PermissionDenied()
    {
        var raw = _server.Raw;
        var error = await Assert.ThrowsAsync<RpcException>(() => raw.SendMessageAsync(RawA2AClient.Text("hi")));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);

        var task = (await raw.SendMessageAsync(RawA2AClient.Text("hi"), As("carol", "acme"))).Task;
        var request = new P.GetTaskRequest { Id = task.Id, Tenant = "globex" };
        var denied = await Assert.ThrowsAsync<RpcException>(() => raw.UnaryAsync("GetTask", request, P.Task.Parser, As("carol", "acme")));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(task.Id, (await raw.UnaryAsync("GetTask", new P.GetTaskRequest { Id = task.Id, Tenant = "acme" }, P.Task.Parser, As("carol", "acme"))).Id);
    }
}
