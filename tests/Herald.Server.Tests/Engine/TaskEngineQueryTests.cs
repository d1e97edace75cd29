using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

public abstract class TaskEngineQueryTests : EngineTests
{
    // ---- list ----

    [StoreTheory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    public async Task ListAsync_PageSizeOutOfRange_ThrowsInvalidParams(int pageSize)
    {
        await using var harness = Harness();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.ListTasksAsync(new ListTasksRequest { PageSize = pageSize }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("pageSize", error.Field);
    }

    [StoreFact]
    public async Task ListAsync_PageSizeAtBounds_IsAccepted()
    {
        await using var harness = Harness();
        await CreateTasksAsync(harness, 2);

        var one = await harness.Engine.ListTasksAsync(new ListTasksRequest { PageSize = 1 }, CancellationToken.None).Within();
        var hundred = await harness.Engine.ListTasksAsync(new ListTasksRequest { PageSize = 100 }, CancellationToken.None).Within();

        Assert.Single(one.Tasks);
        Assert.Equal(2, hundred.Tasks.Count);
    }

    [StoreFact]
    public async Task ListAsync_NoPageSize_UsesFifty()
    {
        await using var harness = Harness();
        await CreateTasksAsync(harness, 55);

        var page = await harness.Engine.ListTasksAsync(new ListTasksRequest(), CancellationToken.None).Within();

        Assert.Equal(50, page.Tasks.Count);
        Assert.Equal(50, page.PageSize);
        Assert.Equal(55, page.TotalSize);
        Assert.NotEqual("", page.NextPageToken);
    }

    [StoreTheory]
    [InlineData("not base64 !")]
    [InlineData("bm8tc2VwYXJhdG9y")]
    [InlineData("fDEyMw")]
    [InlineData("LTV8YWJj")]
    public async Task ListAsync_BadPageToken_ThrowsInvalidParams(string token)
    {
        await using var harness = Harness();
        await CreateTasksAsync(harness, 1);

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.ListTasksAsync(new ListTasksRequest { PageToken = token }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("pageToken", error.Field);
    }

    [StoreFact]
    public async Task ListAsync_PagingThroughAll_LastPageHasEmptyTokenAndNoDuplicates()
    {
        await using var harness = Harness();
        var created = await CreateTasksAsync(harness, 7);

        var seen = new List<AgentTask>();
        var tokens = new List<string>();
        string? token = null;
        do
        {
            var page = await harness.Engine.ListTasksAsync(new ListTasksRequest { PageSize = 3, PageToken = token }, CancellationToken.None).Within();
            Assert.Equal(7, page.TotalSize);
            Assert.Equal(3, page.PageSize);
            seen.AddRange(page.Tasks);
            token = page.NextPageToken;
            tokens.Add(token);
            Assert.True(tokens.Count <= 3, "Paging did not end.");
        }
        while (token != "");

        Assert.Equal(3, tokens.Count);
        Assert.NotNull(tokens[^1]);

        // Created one second apart: newest first.
        Assert.Equal(created.Select(t => t.Id).Reverse(), seen.Select(t => t.Id));
    }

    [StoreFact]
    public async Task ListAsync_Filters_ByContextStatusAndTimestamp()
    {
        await using var harness = Harness();
        var tasks = harness.Tasks;
        var a1 = await tasks.CreateTaskAsync("ctx-a");
        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        var a2 = await tasks.CreateTaskAsync("ctx-a");
        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        var b1 = await tasks.CreateTaskAsync("ctx-b");
        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        await tasks.UpdateStatusAsync(a1.Id, TaskState.Working);
        var a1WorkingAt = harness.Clock.GetUtcNow();

        var byContext = await harness.Engine.ListTasksAsync(new ListTasksRequest { ContextId = "ctx-a" }, CancellationToken.None).Within();
        var byState = await harness.Engine.ListTasksAsync(new ListTasksRequest { Status = TaskState.Submitted }, CancellationToken.None).Within();
        var unspecifiedState = await harness.Engine.ListTasksAsync(new ListTasksRequest { Status = TaskState.Unspecified }, CancellationToken.None).Within();
        var recent = await harness.Engine.ListTasksAsync(new ListTasksRequest { StatusTimestampAfter = a1WorkingAt.AddMilliseconds(-1) }, CancellationToken.None).Within();

        Assert.Equal([a1.Id, a2.Id], byContext.Tasks.Select(t => t.Id));
        Assert.Equal([b1.Id, a2.Id], byState.Tasks.Select(t => t.Id));
        Assert.Equal(3, unspecifiedState.TotalSize);
        Assert.Equal([a1.Id], recent.Tasks.Select(t => t.Id));
    }

    [StoreFact]
    public async Task ListAsync_IncludeArtifacts_DefaultsToOmittingThem()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "a", Parts = [Part.FromText("x")] });

        var without = await harness.Engine.ListTasksAsync(new ListTasksRequest(), CancellationToken.None).Within();
        var with = await harness.Engine.ListTasksAsync(new ListTasksRequest { IncludeArtifacts = true }, CancellationToken.None).Within();

        Assert.Null(without.Tasks.Single().Artifacts);
        Assert.Single(with.Tasks.Single().Artifacts!);
    }

    [StoreFact]
    public async Task ListAsync_NegativeHistoryLength_ThrowsInvalidParams()
    {
        await using var harness = Harness();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.ListTasksAsync(new ListTasksRequest { HistoryLength = -1 }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("historyLength", error.Field);
    }

    [StoreFact]
    public async Task ListAsync_NoTasks_ReturnsEmptyPageWithEmptyToken()
    {
        await using var harness = Harness();

        var page = await harness.Engine.ListTasksAsync(new ListTasksRequest(), CancellationToken.None).Within();

        Assert.Empty(page.Tasks);
        Assert.Equal("", page.NextPageToken);
        Assert.Equal(0, page.TotalSize);
    }

    // ---- page token ----

    [StoreFact]
    public void PageToken_RoundTrip_KeepsTimestampAndTaskId()
    {
        var cursor = new TaskCursor(new DateTimeOffset(2025, 6, 1, 12, 0, 0, 123, TimeSpan.Zero), "task|with|bars");

        var decoded = PageToken.Decode(PageToken.Encode(cursor));

        Assert.Equal(cursor, decoded);
    }

    [StoreFact]
    public void PageToken_EmptyOrNull_MeansFirstPage()
    {
        Assert.Equal("", PageToken.Encode(null));
        Assert.Null(PageToken.Decode(null));
        Assert.Null(PageToken.Decode(""));
    }

    // ---- get ----

    [StoreFact]
    public async Task GetAsync_HistoryLength_NullAllZeroNoneNRecent()
    {
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync("one", ct);
            await ctx.UpdateStatusAsync(TaskState.Working, "two", ct);
            await ctx.CompleteAsync("three", ct);
        });
        var task = await harness.SendForTaskAsync(EngineHarness.Request("zero"));

        var all = await harness.Engine.GetTaskAsync(new GetTaskRequest { Id = task.Id }, CancellationToken.None);
        var none = await harness.Engine.GetTaskAsync(new GetTaskRequest { Id = task.Id, HistoryLength = 0 }, CancellationToken.None);
        var last = await harness.Engine.GetTaskAsync(new GetTaskRequest { Id = task.Id, HistoryLength = 1 }, CancellationToken.None);
        var many = await harness.Engine.GetTaskAsync(new GetTaskRequest { Id = task.Id, HistoryLength = 10 }, CancellationToken.None);

        Assert.Equal(["zero", "one", "two", "three"], all.History!.Select(m => m.GetText()));
        Assert.Empty(none.History ?? []);
        Assert.Equal(["three"], last.History!.Select(m => m.GetText()));
        Assert.Equal(4, many.History!.Count);
        Assert.Equal(TaskState.Completed, all.Status.State);
    }

    [StoreFact]
    public async Task GetAsync_NegativeHistoryLength_ThrowsInvalidParams()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.GetTaskAsync(new GetTaskRequest { Id = task.Id, HistoryLength = -1 }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("historyLength", error.Field);
    }

    [StoreFact]
    public async Task GetAsync_UnknownTask_ThrowsTaskNotFound()
    {
        await using var harness = Harness();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.GetTaskAsync(new GetTaskRequest { Id = "missing" }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [StoreFact]
    public async Task GetAsync_MissingId_ThrowsInvalidParams()
    {
        await using var harness = Harness();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.GetTaskAsync(new GetTaskRequest(), CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("id", error.Field);
    }

    [StoreFact]
    public async Task GetAsync_IncludesArtifacts()
    {
        await using var harness = Harness((ctx, ct) => ctx.AppendTextAsync("a", "x", cancellationToken: ct).AsTask());
        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        var got = await harness.Engine.GetTaskAsync(new GetTaskRequest { Id = task.Id }, CancellationToken.None);

        Assert.Equal("x", got.Artifacts!.Single().Parts.Single().Text);
    }

    private static async Task<List<AgentTask>> CreateTasksAsync(EngineHarness harness, int count)
    {
        var created = new List<AgentTask>();
        for (var i = 0; i < count; i++)
        {
            created.Add(await harness.Tasks.CreateTaskAsync());
            harness.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        return created;
    }
}
