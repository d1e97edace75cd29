using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>Push-notification configurations are kept with their task: saved, replaced by id, listed oldest first, deleted, and gone with the task.</summary>
public abstract partial class TaskStoreConformanceTests
{
    private static TaskPushNotificationConfig Webhook(string taskId, string id, string url = "https://hooks.example.com/a2a") => new()
    {
        Id = id,
        TaskId = taskId,
        Url = url,
        Token = "token-" + id,
        Authentication = new AuthenticationInfo { Scheme = "Bearer", Credentials = "secret-" + id },
    };

    [StoreFact]
    public async Task PushConfigs_SavedListedReplacedAndDeleted()
    {
        var store = Store();
        var task = await CreateAsync(store);

        await store.SavePushConfigAsync(task.Id, Webhook(task.Id, "first"));
        await store.SavePushConfigAsync(task.Id, Webhook(task.Id, "second"), afterSequence: 1);
        await store.SavePushConfigAsync(task.Id, Webhook(task.Id, "first", "https://hooks.example.com/replaced"));

        Assert.Equal(Webhook(task.Id, "first", "https://hooks.example.com/replaced"), await store.GetPushConfigAsync(task.Id, "first"));
        Assert.Equal(["first", "second"], (await store.ListPushConfigsAsync(task.Id)).Select(c => c.Id));
        Assert.Null(await store.GetPushConfigAsync(task.Id, "third"));

        Assert.True(await store.DeletePushConfigAsync(task.Id, "first"));
        Assert.False(await store.DeletePushConfigAsync(task.Id, "first"));
        Assert.Equal(["second"], (await store.ListPushConfigsAsync(task.Id)).Select(c => c.Id));
        Assert.Equal(Webhook(task.Id, "second"), Assert.Single(await store.ListPushConfigsAsync(task.Id)));
    }

    [StoreFact]
    public async Task PushConfigs_OfAnUnknownTask_RefusedAndNoneListed()
    {
        var store = Store();

        var error = await Assert.ThrowsAsync<A2AException>(() => store.SavePushConfigAsync("no-such-task", Webhook("no-such-task", "a")).AsTask());

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
        Assert.Empty(await store.ListPushConfigsAsync("no-such-task"));
        Assert.Null(await store.GetPushConfigAsync("no-such-task", "a"));
        Assert.False(await store.DeletePushConfigAsync("no-such-task", "a"));
    }

    [StoreFact]
    public async Task PushConfigs_AreKeptPerTask()
    {
        var store = Store();
        var one = await CreateAsync(store);
        var other = await CreateAsync(store);

        await store.SavePushConfigAsync(one.Id, Webhook(one.Id, "same-id"));
        await store.SavePushConfigAsync(other.Id, Webhook(other.Id, "same-id", "https://other.example.com/"));

        Assert.Equal("https://hooks.example.com/a2a", (await store.GetPushConfigAsync(one.Id, "same-id"))!.Url);
        Assert.Equal("https://other.example.com/", (await store.GetPushConfigAsync(other.Id, "same-id"))!.Url);
        Assert.True(await store.DeletePushConfigAsync(one.Id, "same-id"));
        Assert.NotNull(await store.GetPushConfigAsync(other.Id, "same-id"));
    }
}
