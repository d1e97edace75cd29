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

/// <summary>Push delivery state: configs with events to deliver are claimed under a lease, one claimer at a time; the cursor moves only forward.</summary>
public abstract partial class TaskStoreConformanceTests
{
    private static readonly TimeSpan DeliveryLease = TimeSpan.FromSeconds(30);

    [StoreFact]
    public async Task ClaimPushDeliveries_OnlyConfigsWithEventsAfterTheirCursor_OneClaimerUntilTheLeaseExpires()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.SavePushConfigAsync(task.Id, Webhook(task.Id, "hook"));

        Assert.Empty(await store.ClaimPushDeliveriesAsync("a", DeliveryLease, 10)); // nothing after the cursor yet

        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));
        var first = await store.ClaimPushDeliveriesAsync("a", DeliveryLease, 10);
        var second = await store.ClaimPushDeliveriesAsync("b", DeliveryLease, 10);
        Clock.Advance(DeliveryLease + TimeSpan.FromSeconds(1));
        var afterExpiry = await store.ClaimPushDeliveriesAsync("b", DeliveryLease, 10);

        var claim = Assert.Single(first);
        Assert.Equal((task.Id, "hook", 1L, 0), (claim.TaskId, claim.Config.Id, claim.Cursor, claim.Attempts));
        Assert.Equal("https://hooks.example.com/a2a", claim.Config.Url);
        Assert.Empty(second);
        Assert.Equal("hook", Assert.Single(afterExpiry).Config.Id);
        Assert.False(await store.AdvancePushCursorAsync(task.Id, "hook", "a", 2, DeliveryLease)); // a's lease is gone
    }

    [StoreFact]
    public async Task AdvancePushCursor_ByTheHolder_MovesForwardOnly_AndCaughtUpConfigsAreNotClaimed()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.SavePushConfigAsync(task.Id, Webhook(task.Id, "hook"));
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1)), Status(task, TaskState.Working, T0.AddSeconds(2))]);
        Assert.Single(await store.ClaimPushDeliveriesAsync("a", DeliveryLease, 10));

        Assert.True(await store.AdvancePushCursorAsync(task.Id, "hook", "a", 3, DeliveryLease));
        Assert.True(await store.AdvancePushCursorAsync(task.Id, "hook", "a", 2, DeliveryLease)); // held, but the cursor stays at 3
        Assert.False(await store.AdvancePushCursorAsync(task.Id, "hook", "b", 3, DeliveryLease));
        Assert.True(await store.ReleasePushDeliveryAsync(task.Id, "hook", "a", new PushDeliveryOutcome(0, TimeSpan.Zero, null, false)));
        Assert.Empty(await store.ClaimPushDeliveriesAsync("b", DeliveryLease, 10));

        await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(3)));
        var next = Assert.Single(await store.ClaimPushDeliveriesAsync("b", DeliveryLease, 10));
        Assert.Equal(3, next.Cursor);
    }

    [StoreFact]
    public async Task ReleasePushDelivery_RetryLater_AndFailing_UntilSavedAgain()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.SavePushConfigAsync(task.Id, Webhook(task.Id, "hook"));
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));
        Assert.Single(await store.ClaimPushDeliveriesAsync("a", DeliveryLease, 10));

        Assert.True(await store.ReleasePushDeliveryAsync(task.Id, "hook", "a", new PushDeliveryOutcome(2, TimeSpan.FromSeconds(10), "503 from the webhook", false)));
        Assert.False(await store.ReleasePushDeliveryAsync(task.Id, "hook", "a", new PushDeliveryOutcome(3, TimeSpan.Zero, null, false))); // released already
        Assert.Empty(await store.ClaimPushDeliveriesAsync("b", DeliveryLease, 10));
        Clock.Advance(TimeSpan.FromSeconds(11));
        var retry = Assert.Single(await store.ClaimPushDeliveriesAsync("b", DeliveryLease, 10));
        Assert.Equal(2, retry.Attempts);

        Assert.True(await store.ReleasePushDeliveryAsync(task.Id, "hook", "b", new PushDeliveryOutcome(9, TimeSpan.Zero, "gave up", true)));
        Clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty(await store.ClaimPushDeliveriesAsync("c", DeliveryLease, 10)); // failing: left alone

        await store.SavePushConfigAsync(task.Id, Webhook(task.Id, "hook", "https://hooks.example.com/fixed"));
        var revived = Assert.Single(await store.ClaimPushDeliveriesAsync("c", DeliveryLease, 10));
        Assert.Equal((0, 1L, "https://hooks.example.com/fixed"), (revived.Attempts, revived.Cursor, revived.Config.Url));
    }

    [StoreFact]
    public async Task ClaimPushDeliveries_TakesTheOldestUpToTheCount_LeavingTheRestToOthers()
    {
        var store = Store();
        var task = await CreateAsync(store);
        foreach (var id in new[] { "one", "two", "three" })
        {
            await store.SavePushConfigAsync(task.Id, Webhook(task.Id, id));
        }

        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        var first = await store.ClaimPushDeliveriesAsync("a", DeliveryLease, 2);
        var rest = await store.ClaimPushDeliveriesAsync("b", DeliveryLease, 2);

        Assert.Equal(["one", "two"], first.Select(c => c.Config.Id));
        Assert.Equal(["three"], rest.Select(c => c.Config.Id));
    }
}

/// <summary>The store-wide "events were appended" hint that wakes push delivery.</summary>
public abstract partial class TaskStoreConformanceTests
{
    [StoreFact]
    public async Task WaitForAppendedEvents_CompletesOnceEventsAreAppended()
    {
        var store = Store();
        var task = await CreateAsync(store);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Whatever was said before is taken; a wait is then pending until the next append (or completes if one was in flight).
        await store.WaitForAppendedEventsAsync(timeout.Token).AsTask().WaitAsync(TimeSpan.FromMilliseconds(1)).ContinueWith(_ => { }, TaskScheduler.Default);
        var wait = store.WaitForAppendedEventsAsync(timeout.Token).AsTask();
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        await wait.WaitAsync(timeout.Token);
        Assert.True(wait.IsCompletedSuccessfully);
    }
}
