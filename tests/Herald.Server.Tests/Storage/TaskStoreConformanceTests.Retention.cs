using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>Retention: ended tasks older than a cutoff go, with their logs.</summary>
public abstract partial class TaskStoreConformanceTests
{
    [StoreFact]
    public async Task DeleteEndedAsync_EndedBeforeCutoff_DeletesTaskAndLogOnly()
    {
        var store = Store();
        var context = NewContextId();
        var old = await CreateAsync(store, context);
        await store.AppendAsync(old.Id, [Chunk(old, "a", "x", append: false), Status(old, TaskState.Completed, T0.AddMinutes(1))]);
        var recent = await CreateAsync(store, context);
        await store.AppendAsync(recent.Id, Status(recent, TaskState.Failed, T0.AddMinutes(10)));
        var running = await CreateAsync(store, context);
        await store.AppendAsync(running.Id, Status(running, TaskState.Working, T0.AddMinutes(1)));

        var deleted = await store.DeleteEndedAsync(T0.AddMinutes(5), 1000);

        Assert.Equal(1, deleted);
        Assert.Null(await store.GetAsync(old.Id));
        await Assert.ThrowsAsync<A2AException>(() => store.ReadAsync(old.Id, 0, 10).AsTask());
        Assert.NotNull(await store.GetAsync(recent.Id));
        Assert.NotNull(await store.GetAsync(running.Id));
        var page = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 10 });
        Assert.Equal(new[] { recent.Id, running.Id }.Order(), page.Tasks.Select(t => t.Id).Order());
        Assert.Equal(2, page.TotalSize);
        await Assert.ThrowsAsync<A2AException>(() => store.AppendAsync(old.Id, Status(old, TaskState.Working, T0)).AsTask());
    }

    [StoreFact]
    public async Task DeleteEndedAsync_MaxCount_DeletesOldestFirstInBatches()
    {
        var store = Store();
        var tasks = new List<AgentTask>();
        for (var i = 0; i < 5; i++)
        {
            var task = await CreateAsync(store);
            await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddMinutes(i)));
            tasks.Add(task);
        }

        Assert.Equal(2, await store.DeleteEndedAsync(T0.AddHours(1), 2));
        Assert.Null(await store.GetAsync(tasks[0].Id));
        Assert.Null(await store.GetAsync(tasks[1].Id));
        Assert.NotNull(await store.GetAsync(tasks[2].Id));
        Assert.Equal(3, await store.DeleteEndedAsync(T0.AddHours(1), 100));
        Assert.Equal(0, await store.DeleteEndedAsync(T0.AddHours(1), 100));
    }

    [StoreFact]
    public async Task DeleteEndedAsync_UnfilteredTotal_CountsOnlyWhatIsLeft()
    {
        var store = Store();
        var kept = await CreateAsync(store);
        var gone = await CreateAsync(store);
        await store.AppendAsync(gone.Id, Status(gone, TaskState.Rejected, T0.AddSeconds(1)));
        var before = await store.ListAsync(new TaskQuery { PageSize = 100 });

        await store.DeleteEndedAsync(T0.AddMinutes(1), 100);

        var after = await store.ListAsync(new TaskQuery { PageSize = 100 });
        Assert.Equal(before.TotalSize - 1, after.TotalSize);
        Assert.Contains(after.Tasks, t => t.Id == kept.Id);
        var byState = await store.ListAsync(new TaskQuery { State = TaskState.Rejected, PageSize = 100 });
        Assert.DoesNotContain(byState.Tasks, t => t.Id == gone.Id);
    }

    [StoreFact]
    public async Task WaitForEventsAsync_TaskDeletedWhileWaiting_Completes()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(1)));
        var waiting = store.WaitForEventsAsync(task.Id, 2).AsTask();
        Assert.False(waiting.IsCompleted);

        await store.DeleteEndedAsync(T0.AddMinutes(1), 100);

        await waiting.Within();
    }
}
