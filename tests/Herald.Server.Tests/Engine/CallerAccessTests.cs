using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// Every call has a caller: a task belongs to the principal that created it, in the tenant of that request, and any other
/// caller is told it does not exist (the same answer as for an unknown id), whatever it tries; lists hold only the caller's
/// own tasks; a request's tenant must agree with the tenant of its credentials.
/// </summary>
public sealed class CallerAccessTests
{
    private static readonly Caller Alice = new("alice");
    private static readonly Caller Bob = new("bob");

    [Fact]
    public async Task AnotherPrincipal_EveryOperation_IsAnsweredAsForAnUnknownTask_AndChangesNothing()
    {
        await using var harness = EngineHarness.Create(async (context, ct) =>
        {
            await context.StartWorkAsync("thinking", ct);
            await context.RequireInputAsync("your name?", ct);
        });
        var task = (await harness.Engine.SendMessageAsync(Alice, EngineHarness.Request("hi")).AsTask().Within()).Task!.Task;
        Assert.Equal(TaskState.InputRequired, task.Status.State);
        var before = (await harness.Store.GetAsync(task.Id))!.Sequence;

        var unknown = "00000000-0000-0000-0000-" + task.Id[^12..];
        foreach (var (name, call) in OperationsOf(harness.Engine, harness.Tasks))
        {
            var theirs = await Assert.ThrowsAsync<A2AException>(() => call(Bob, task.Id));
            var missing = await Assert.ThrowsAsync<A2AException>(() => call(Bob, unknown));
            Assert.True(theirs.Code == A2AErrorCodes.TaskNotFound, $"{name}: {theirs.Code} {theirs.Message}");
            Assert.Equal(missing.Code, theirs.Code);
            Assert.Equal(missing.Message.Replace(unknown, "<id>", StringComparison.Ordinal), theirs.Message.Replace(task.Id, "<id>", StringComparison.Ordinal));
        }

        // Nothing was appended, canceled or continued: the log is where Alice left it, and she can still go on.
        Assert.Equal(before, (await harness.Store.GetAsync(task.Id))!.Sequence);
        Assert.Equal(TaskState.InputRequired, (await harness.Engine.GetTaskAsync(Alice, new GetTaskRequest { Id = task.Id }).AsTask().Within()).Status.State);
        var canceled = await harness.Engine.CancelTaskAsync(Alice, new CancelTaskRequest { Id = task.Id }).AsTask().Within();
        Assert.Equal(TaskState.Canceled, canceled.Status.State);
    }

    /// <summary>Every operation that names a task, as another caller would try it.</summary>
    private static IEnumerable<(string Name, Func<Caller, string, Task> Call)> OperationsOf(TaskEngine engine, IHeraldTasks tasks)
    {
        yield return ("GetTask", (c, id) => engine.GetTaskAsync(c, new GetTaskRequest { Id = id }).AsTask());
        yield return ("GetTask long-poll", (c, id) => engine.GetTaskAsync(c, new GetTaskRequest { Id = id, CurrentGeneration = 1 }).AsTask());
        yield return ("CancelTask", (c, id) => engine.CancelTaskAsync(c, new CancelTaskRequest { Id = id }).AsTask());
        yield return ("SubscribeToTask", (c, id) => engine.SubscribeToTaskAsync(c, new SubscribeToTaskRequest { Id = id }).AsTask());
        yield return ("SubscribeToTask Last-Event-ID 0", (c, id) => engine.SubscribeToTaskAsync(c, new SubscribeToTaskRequest { Id = id }, 0).AsTask());
        yield return ("SubscribeToTask Last-Event-ID 1", (c, id) => engine.SubscribeToTaskAsync(c, new SubscribeToTaskRequest { Id = id }, 1).AsTask());
        yield return ("SendMessage follow-up", (c, id) => engine.SendMessageAsync(c, EngineHarness.Request("Mallory", taskId: id)).AsTask());
        yield return ("SendStreamingMessage follow-up", (c, id) => engine.SendStreamingMessageAsync(c, EngineHarness.Request("Mallory", taskId: id)).AsTask());
        yield return ("IHeraldTasks.UpdateStatus", (c, id) => tasks.UpdateStatusAsync(c, id, TaskState.Failed).AsTask());
        yield return ("IHeraldTasks.AddArtifact", (c, id) => tasks.AddArtifactAsync(c, id, new Artifact { ArtifactId = "a", Parts = [Part.FromText("x")] }).AsTask());
        yield return ("IHeraldTasks.Subscribe", async (c, id) =>
        {
            await foreach (var _ in tasks.SubscribeAsync(c, id))
            {
            }
        });
    }

    [Fact]
    public async Task IHeraldTasks_GetTask_OfAnotherPrincipal_IsNull_AndTheSystemCallerSeesIt()
    {
        await using var harness = EngineHarness.Create((context, ct) => context.CompleteAsync("done", ct).AsTask());
        var task = (await harness.Engine.SendMessageAsync(Alice, EngineHarness.Request()).AsTask().Within()).Task!.Task;

        Assert.Null(await harness.Tasks.GetTaskAsync(Bob, task.Id));
        Assert.NotNull(await harness.Tasks.GetTaskAsync(Alice, task.Id));
        Assert.NotNull(await harness.Tasks.GetTaskAsync(Caller.System, task.Id));
    }

    [Fact]
    public async Task ListTasks_HoldsAndCountsOnlyTheCallersOwnTasks()
    {
        await using var harness = EngineHarness.Create((context, ct) => context.CompleteAsync("done", ct).AsTask());
        var alices = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            alices.Add((await harness.Engine.SendMessageAsync(Alice, EngineHarness.Request()).AsTask().Within()).Task!.Task.Id);
        }

        var bobs = (await harness.Engine.SendMessageAsync(Bob, EngineHarness.Request()).AsTask().Within()).Task!.Task.Id;
        var anonymous = (await harness.Engine.SendMessageAsync(Caller.Anonymous, EngineHarness.Request()).AsTask().Within()).Task!.Task.Id;

        var alicePage = await harness.Engine.ListTasksAsync(Alice, new ListTasksRequest { PageSize = 2 });
        var aliceRest = await harness.Engine.ListTasksAsync(Alice, new ListTasksRequest { PageSize = 2, PageToken = alicePage.NextPageToken });
        var bobPage = await harness.Engine.ListTasksAsync(Bob, new ListTasksRequest());
        var anonymousPage = await harness.Engine.ListTasksAsync(Caller.Anonymous, new ListTasksRequest());
        var systemPage = await harness.Engine.ListTasksAsync(Caller.System, new ListTasksRequest());

        Assert.Equal(3, alicePage.TotalSize);
        Assert.Equal(alices.Order(), alicePage.Tasks.Concat(aliceRest.Tasks).Select(t => t.Id).Order());
        Assert.Equal(bobs, Assert.Single(bobPage.Tasks).Id);
        Assert.Equal(1, bobPage.TotalSize);
        Assert.Equal(anonymous, Assert.Single(anonymousPage.Tasks).Id);
        Assert.Equal(5, systemPage.TotalSize);
    }

    [Fact]
    public async Task Tenants_ATaskLivesInItsRequestsTenant_AndAnAssignedTenantMustAgree()
    {
        await using var harness = EngineHarness.Create((context, ct) => context.CompleteAsync("done", ct).AsTask());
        var inAcme = (await harness.Engine.SendMessageAsync(Alice, EngineHarness.Request() with { Tenant = "acme" }).AsTask().Within()).Task!.Task;

        // The same principal in another tenant (or none) does not see it.
        await Assert.ThrowsAsync<A2AException>(() => harness.Engine.GetTaskAsync(Alice, new GetTaskRequest { Id = inAcme.Id }).AsTask());
        await Assert.ThrowsAsync<A2AException>(() => harness.Engine.GetTaskAsync(Alice, new GetTaskRequest { Id = inAcme.Id, Tenant = "globex" }).AsTask());
        Assert.Equal(inAcme.Id, (await harness.Engine.GetTaskAsync(Alice, new GetTaskRequest { Id = inAcme.Id, Tenant = "acme" })).Id);

        // A caller whose credentials name tenant acme: acme is its tenant when the request names none; another is refused.
        var assigned = new Caller("alice", "acme");
        Assert.Equal(inAcme.Id, (await harness.Engine.GetTaskAsync(assigned, new GetTaskRequest { Id = inAcme.Id })).Id);
        var refused = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.GetTaskAsync(assigned, new GetTaskRequest { Id = inAcme.Id, Tenant = "globex" }).AsTask());
        Assert.Equal(A2AErrorCodes.PermissionDenied, refused.Code);
        var refusedList = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.ListTasksAsync(assigned, new ListTasksRequest { Tenant = "globex" }).AsTask());
        Assert.Equal(A2AErrorCodes.PermissionDenied, refusedList.Code);
        var refusedSend = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SendMessageAsync(assigned, EngineHarness.Request() with { Tenant = "globex" }).AsTask());
        Assert.Equal(A2AErrorCodes.PermissionDenied, refusedSend.Code);
        Assert.Equal(1, (await harness.Engine.ListTasksAsync(assigned, new ListTasksRequest())).TotalSize);
    }

    [Fact]
    public async Task AccessPolicy_LetsAnotherCallerIn_OnlyForWhatItAllows()
    {
        var policy = new AdminPolicy("admin");
        await using var harness = EngineHarness.Create((context, ct) => context.RequireInputAsync("more?", ct).AsTask(), accessPolicy: policy);
        var task = (await harness.Engine.SendMessageAsync(Alice, EngineHarness.Request()).AsTask().Within()).Task!.Task;
        var admin = new Caller("admin");

        Assert.Equal(task.Id, (await harness.Engine.GetTaskAsync(admin, new GetTaskRequest { Id = task.Id })).Id);
        var notAllowed = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.CancelTaskAsync(admin, new CancelTaskRequest { Id = task.Id }).AsTask());
        Assert.Equal(A2AErrorCodes.TaskNotFound, notAllowed.Code);
        Assert.Contains((admin, new TaskOwner("alice", ""), TaskAccess.Read), policy.Asked);
        Assert.Contains((admin, new TaskOwner("alice", ""), TaskAccess.Cancel), policy.Asked);

        // Lists stay the caller's own, whatever the policy.
        Assert.Equal(0, (await harness.Engine.ListTasksAsync(admin, new ListTasksRequest())).TotalSize);
    }

    [Fact]
    public async Task Agent_SeesTheTasksOwner_AsItsCaller_OnEveryTurn()
    {
        var seen = new List<Caller>();
        await using var harness = EngineHarness.Create(async (context, ct) =>
        {
            lock (seen)
            {
                seen.Add(context.Caller);
            }

            await (context.IsContinuation ? context.CompleteAsync("thanks", ct) : context.RequireInputAsync("name?", ct));
        });
        var assigned = new Caller("alice", "acme");
        var task = (await harness.Engine.SendMessageAsync(assigned, EngineHarness.Request()).AsTask().Within()).Task!.Task;
        await harness.Engine.SendMessageAsync(assigned, EngineHarness.Request("Ada", taskId: task.Id)).AsTask().Within();

        Assert.Equal([assigned, assigned], seen);
    }

    [Fact]
    public async Task ClaimedRun_TaskKeepsItsOwner_AndTheAgentSeesIt()
    {
        var hold = Bounded.NewSignal();
        var seen = new TaskCompletionSource<Caller>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = EngineHarness.Create(async (context, ct) =>
        {
            if (context.UserText == "hold")
            {
                await hold.Task.WaitAsync(ct);
            }
            else
            {
                seen.TrySetResult(context.Caller);
            }

            await context.CompleteAsync("done", ct);
        }, o => o.MaxConcurrentRuns = 1);
        var immediately = new SendMessageConfiguration { ReturnImmediately = true };
        await harness.Engine.SendMessageAsync(Alice, EngineHarness.Request("hold") with { Configuration = immediately }).AsTask().Within();

        // No free slot: Bob's run is recorded in the store with his task, and claimed once Alice's run ends.
        var accepted = (await harness.Engine.SendMessageAsync(Bob, EngineHarness.Request("go") with { Configuration = immediately }).AsTask().Within()).Task!;
        Assert.Equal(TaskState.Submitted, accepted.Task.Status.State);
        Assert.Equal(new TaskOwner("bob", ""), accepted.Owner);
        Assert.Equal(new TaskOwner("bob", ""), (await harness.Store.GetAsync(accepted.Task.Id))!.Owner);
        hold.TrySetResult();

        Assert.Equal(Bob, await seen.Task.Within());
    }

    [Fact]
    public async Task ClientChosenId_OfAnotherOwnersTask_IsNotAvailable_InTheWordsUsedForAnEndedTaskOfOnesOwn()
    {
        await using var harness = EngineHarness.Create((context, ct) => context.CompleteAsync("done", ct).AsTask());
        var clientId = new SendOptions { CreateTaskWithClientId = true };
        await harness.Engine.SendMessageAsync(Alice, EngineHarness.Request(taskId: "job-1"), clientId).AsTask().Within();
        await harness.Engine.SendMessageAsync(Bob, EngineHarness.Request(taskId: "job-2"), clientId).AsTask().Within();

        var others = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SendMessageAsync(Bob, EngineHarness.Request(taskId: "job-1"), clientId).AsTask());
        var ownEnded = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SendMessageAsync(Bob, EngineHarness.Request(taskId: "job-2"), clientId).AsTask());

        Assert.Equal(A2AErrorCodes.InvalidParams, others.Code);
        Assert.Equal(ownEnded.Code, others.Code);
        Assert.Equal(ownEnded.Message.Replace("job-2", "<id>", StringComparison.Ordinal), others.Message.Replace("job-1", "<id>", StringComparison.Ordinal));
        Assert.Equal(TaskState.Completed, (await harness.Engine.GetTaskAsync(Alice, new GetTaskRequest { Id = "job-1" })).Status.State);
    }

    private sealed class AdminPolicy(string admin) : ITaskAccessPolicy
    {
        public List<(Caller, TaskOwner, TaskAccess)> Asked { get; } = [];

        public bool IsAllowed(Caller caller, TaskOwner owner, TaskAccess access)
        {
            lock (Asked)
            {
                Asked.Add((caller, owner, access));
            }

            return caller.Principal == admin && access == TaskAccess.Read;
        }
    }
}
