using System.Text;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// Whose a task is: kept with the task from the write that creates it, returned with it, never part of what the wire sees,
/// and a list of one owner holds (and counts) only that owner's tasks.
/// </summary>
public abstract partial class TaskStoreConformanceTests
{
    protected static readonly TaskOwner Alice = new("alice", "acme");

    protected static readonly TaskOwner Bob = new("bob", "acme");

    [StoreFact]
    public async Task CreateAsync_WithOwner_KeptWithTheTask_AndNotOnTheWire()
    {
        var store = Store();
        var task = NewTask();

        var created = await store.CreateAsync(task, null, null, Alice);

        Assert.Equal(Alice, (await store.GetAsync(task.Id))!.Owner);
        Assert.Equal(Alice, (await store.GetAsync(task.Id, 0, includeArtifacts: false))!.Owner);
        var wire = Encoding.UTF8.GetString(created.GetV1Json().Span);
        Assert.DoesNotContain("alice", wire, StringComparison.Ordinal);
        Assert.DoesNotContain("acme", wire, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task CreateAsync_WithoutOwner_IsAnonymous()
    {
        var store = Store();
        var task = await CreateAsync(store);

        Assert.Equal(TaskOwner.Anonymous, (await store.GetAsync(task.Id))!.Owner);
    }

    [StoreFact]
    public async Task CreatePendingAsync_WithOwner_KeptWithTheTask()
    {
        var store = Store();
        var task = NewTask();

        await store.CreatePendingAsync(task, new byte[] { 1 }, null, Bob);

        Assert.Equal(Bob, (await store.GetAsync(task.Id))!.Owner);
    }

    [StoreFact]
    public async Task ListAsync_ByOwner_HoldsAndCountsOnlyThatOwnersTasks()
    {
        var store = Store();
        var context = "ctx-" + Guid.NewGuid().ToString("N");
        var alices = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var task = NewTask() with { ContextId = context };
            await store.CreateAsync(task, null, null, Alice);
            alices.Add(task.Id);
        }

        var bobs = NewTask() with { ContextId = context };
        await store.CreateAsync(bobs, null, null, Bob);
        var sameNameOtherTenant = NewTask() with { ContextId = context };
        await store.CreateAsync(sameNameOtherTenant, null, null, Alice with { Tenant = "globex" });
        var anonymous = NewTask() with { ContextId = context };
        await store.CreateAsync(anonymous);

        var alicePage = await store.ListAsync(new TaskQuery { Owner = Alice, PageSize = 2 });
        var aliceNext = await store.ListAsync(new TaskQuery { Owner = Alice, PageSize = 2, After = alicePage.Next });
        var aliceInContext = await store.ListAsync(new TaskQuery { Owner = Alice, ContextId = context, PageSize = 10 });
        var aliceSubmitted = await store.ListAsync(new TaskQuery { Owner = Alice, State = TaskState.Submitted, PageSize = 10 });
        var bobPage = await store.ListAsync(new TaskQuery { Owner = Bob, PageSize = 10 });
        var nobody = await store.ListAsync(new TaskQuery { Owner = new TaskOwner("mallory", "acme"), PageSize = 10 });
        var everyone = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 10 });

        Assert.Equal(3, alicePage.TotalSize);
        Assert.Equal(alices.Order(), alicePage.Tasks.Concat(aliceNext.Tasks).Select(t => t.Id).Order());
        Assert.Null(aliceNext.Next);
        Assert.Equal(3, aliceInContext.TotalSize);
        Assert.Equal(3, aliceSubmitted.TotalSize);
        Assert.Equal(bobs.Id, Assert.Single(bobPage.Tasks).Id);
        Assert.Equal(1, bobPage.TotalSize);
        Assert.Empty(nobody.Tasks);
        Assert.Equal(0, nobody.TotalSize);
        Assert.Equal(6, everyone.TotalSize);
    }
}
