using System.Text;
using System.Text.Json;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// The trace context of the request that created or continued a task: kept with the task, returned with it, replaced by a
/// follow-up that brings another, and never part of what the wire sees.
/// </summary>
public abstract partial class TaskStoreConformanceTests
{
    protected static readonly TaskTraceContext CreatingTrace = new("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=one");

    protected static readonly TaskTraceContext ContinuingTrace = new("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

    [StoreFact]
    public async Task CreateAsync_WithTraceContext_KeptWithTheTask_AndOnTheCreatedEvent()
    {
        var store = Store();
        var task = NewTask();

        var created = await store.CreateAsync(task, null, CreatingTrace);

        Assert.Equal(CreatingTrace, created.TraceContext);
        Assert.Equal(CreatingTrace, (await store.GetAsync(task.Id))!.TraceContext);
        Assert.Equal(CreatingTrace, (await store.GetAsync(task.Id, 0, includeArtifacts: false))!.TraceContext);
    }

    [StoreFact]
    public async Task CreateAsync_WithoutTraceContext_TaskHasNone()
    {
        var store = Store();
        var task = await CreateAsync(store);

        Assert.Null((await store.GetAsync(task.Id))!.TraceContext);
    }

    [StoreFact]
    public async Task ContinueAsync_MessageWithTraceContext_ReplacesTheTasks_AndOneWithoutKeepsIt()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)), CreatingTrace);
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a", ReleaseLease = true });

        var continued = await store.ContinueAsync(task.Id, UserMessage(task, "traced").WithTraceContext(ContinuingTrace), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)));
        var afterTraced = (await store.GetAsync(task.Id))!.TraceContext;
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(2)), new AppendOptions { LeaseOwner = "runner-b", ReleaseLease = true });
        await store.ContinueAsync(task.Id, UserMessage(task, "untraced"), new RunnerLease("runner-c", TimeSpan.FromSeconds(30)));
        var afterUntraced = (await store.GetAsync(task.Id))!.TraceContext;

        Assert.Equal(ContinueOutcome.Continued, continued.Outcome);
        Assert.Equal(ContinuingTrace, continued.Message!.TraceContext);
        Assert.Equal(ContinuingTrace, afterTraced);
        Assert.Equal(ContinuingTrace, afterUntraced);
    }

    [StoreFact]
    public async Task ContinueAsync_Refused_LeavesTheTraceContextAlone()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)), CreatingTrace);

        var refused = await store.ContinueAsync(task.Id, UserMessage(task, "too soon").WithTraceContext(ContinuingTrace), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)));

        Assert.Equal(ContinueOutcome.Leased, refused.Outcome);
        Assert.Equal(CreatingTrace, (await store.GetAsync(task.Id))!.TraceContext);
    }

    [StoreFact]
    public async Task TraceContext_IsNotInTheWirePayloads()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)), CreatingTrace);
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a", ReleaseLease = true });
        await store.ContinueAsync(task.Id, UserMessage(task, "traced").WithTraceContext(ContinuingTrace), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)));

        var wire = new StringBuilder(JsonSerializer.Serialize((await store.GetAsync(task.Id))!.Task, A2AJsonContext.Default.AgentTask));
        foreach (var e in await store.ReadAsync(task.Id, 0, 100))
        {
            wire.Append(Encoding.UTF8.GetString(e.GetV1Json().Span));
        }

        Assert.DoesNotContain("0af7651916cd43dd8448eb211c80319c", wire.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("4bf92f3577b34da6a3ce929d0e0e4736", wire.ToString(), StringComparison.Ordinal);
    }
}
