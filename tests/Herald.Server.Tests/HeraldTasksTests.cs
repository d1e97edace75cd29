using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Herald.Server.Tests.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Server.Tests;

/// <summary>The in-process API for code outside the agent, resolved from DI as an application would.</summary>
public abstract class HeraldTasksTests : EngineTests
{
    [StoreFact]
    public async Task AddHerald_WithoutAgent_ResolvesHeraldTasks()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHerald();
        await using var provider = services.BuildServiceProvider();

        var tasks = provider.GetRequiredService<IHeraldTasks>();

        Assert.Same(provider.GetRequiredService<TaskEngine>(), tasks);
        Assert.False(provider.GetRequiredService<TaskEngine>().HasAgent);
    }

    [StoreFact]
    public async Task UpdatesById_AreObservedBySubscribersAndGetTask()
    {
        await using var harness = Harness();
        var tasks = harness.Tasks;
        var created = await tasks.CreateTaskAsync("orders", Message.UserText("ship order 7"));
        var subscriber = Task.Run(() => tasks.SubscribeAsync(created.Id).CollectWithin());

        var working = await tasks.UpdateStatusAsync(created.Id, TaskState.Working, Message.AgentText("packing"));
        var label = await tasks.AddArtifactAsync(created.Id, new Artifact { ArtifactId = "label", Parts = [Part.FromText("ADDR ")] });
        var more = await tasks.AddArtifactAsync(created.Id, new Artifact { ArtifactId = "label", Parts = [Part.FromText("Main St 1")] }, append: true, lastChunk: true);
        var done = await tasks.UpdateStatusAsync(created.Id, TaskState.Completed, Message.AgentText("shipped"));
        var events = await subscriber.Within();

        Assert.Equal([2L, 3, 4, 5], new[] { working, label, more, done }.Select(e => e.Sequence));
        Assert.Equal([1L, 2, 3, 4, 5], events.Select(e => e.Sequence));
        Assert.Equal([TaskEventKind.Created, TaskEventKind.Status, TaskEventKind.Artifact, TaskEventKind.Artifact, TaskEventKind.Status], events.Select(e => e.Kind));
        Assert.True(events[3].ArtifactUpdate!.LastChunk);
        Assert.Equal(created.Id, events[1].StatusUpdate!.TaskId);
        Assert.Equal("orders", events[1].StatusUpdate!.ContextId);

        var task = await tasks.GetTaskAsync(created.Id);
        Assert.NotNull(task);
        Assert.Equal("orders", task.ContextId);
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal("ADDR Main St 1", string.Concat(task.Artifacts!.Single().Parts.Select(p => p.Text)));
        Assert.Equal(["ship order 7", "packing", "shipped"], task.History!.Select(m => m.GetText()));
        Assert.Equal(["shipped"], (await tasks.GetTaskAsync(created.Id, historyLength: 1))!.History!.Select(m => m.GetText()));
    }

    [StoreFact]
    public async Task CreateTaskAsync_Defaults_SubmittedWithNewIdsAndMessageStamped()
    {
        await using var harness = Harness();

        var bare = await harness.Tasks.CreateTaskAsync();
        var withMessage = await harness.Tasks.CreateTaskAsync(message: Message.UserText("hi"));

        Assert.Equal(TaskState.Submitted, bare.Status.State);
        Assert.Equal(harness.Clock.GetUtcNow(), bare.Status.Timestamp);
        Assert.False(string.IsNullOrEmpty(bare.ContextId));
        Assert.NotEqual(bare.Id, withMessage.Id);
        Assert.Null(bare.History);
        var message = Assert.Single(withMessage.History!);
        Assert.Equal(withMessage.Id, message.TaskId);
        Assert.Equal(withMessage.ContextId, message.ContextId);
        Assert.Equal(TaskState.Submitted, (await harness.Tasks.GetTaskAsync(bare.Id))!.Status.State);
    }

    [StoreFact]
    public async Task UpdateStatusAsync_WithMessage_StampsItWithTaskAndContext()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync("ctx-9");

        var e = await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Working, Message.AgentText("busy"));

        var message = e.StatusUpdate!.Status.Message!;
        Assert.Equal(task.Id, message.TaskId);
        Assert.Equal("ctx-9", message.ContextId);
        var stored = (await harness.Tasks.GetTaskAsync(task.Id))!.History!.Single();
        Assert.Equal(task.Id, stored.TaskId);
    }

    [StoreFact]
    public async Task UpdateStatusAsync_UnspecifiedState_ThrowsAndAppendsNothing()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Unspecified).Within());

        var events = await harness.Store.ReadAsync(task.Id, 0, 10);
        Assert.Single(events);
    }

    [StoreFact]
    public async Task UpdateStatusAsync_UnknownTask_ThrowsTaskNotFound()
    {
        await using var harness = Harness();

        var status = await Assert.ThrowsAsync<A2AException>(() => harness.Tasks.UpdateStatusAsync("missing", TaskState.Working).Within());
        var artifact = await Assert.ThrowsAsync<A2AException>(() => harness.Tasks.AddArtifactAsync("missing", new Artifact { ArtifactId = "a" }).Within());

        Assert.Equal(A2AErrorCodes.TaskNotFound, status.Code);
        Assert.Equal(A2AErrorCodes.TaskNotFound, artifact.Code);
        Assert.Null(await harness.Tasks.GetTaskAsync("missing"));
    }

    [StoreFact]
    public async Task UpdateStatusAsync_TerminalTask_ThrowsTaskAlreadyTerminal()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Failed);

        var error = await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() => harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Working).Within());

        Assert.Equal(TaskState.Failed, error.State);
        Assert.Equal(TaskState.Failed, (await harness.Tasks.GetTaskAsync(task.Id))!.Status.State);
    }

    [StoreFact]
    public async Task UpdateStatusAsync_OnTaskAnAgentIsRunning_ReachesTheAgentsSubscribers()
    {
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await gate.Task.WaitAsync(ct);
        });
        var start = await harness.SendAsync(EngineHarness.Request(), SendMode.Streaming);
        var id = start.Task!.Task.Id;

        // An application ends the task from outside (e.g. its own domain event); the agent's later reports are refused.
        await harness.Tasks.UpdateStatusAsync(id, TaskState.Completed, Message.AgentText("done elsewhere"));
        var events = await harness.Tasks.SubscribeAsync(id, start.Task.Sequence).CollectWithin();
        gate.TrySetResult();

        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
        Assert.Equal("done elsewhere", events[^1].StatusUpdate!.Status.Message!.GetText());
    }
}
