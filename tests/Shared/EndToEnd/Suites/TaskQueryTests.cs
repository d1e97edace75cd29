using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;

namespace Herald.Testing.EndToEnd;

/// <summary>GetTask and ListTasks over the wire.</summary>
public abstract class TaskQueryTests : BindingTests
{
    /// <summary>Completes with an artifact, or asks for input when the text says "ask".</summary>
    private static Task RespondAsync(Herald.Server.Agents.AgentContext c, CancellationToken ct) => c.UserText == "ask"
        ? c.RequireInputAsync("more please", ct).AsTask()
        : AddArtifactAndCompleteAsync(c, ct);

    private static async Task AddArtifactAndCompleteAsync(Herald.Server.Agents.AgentContext c, CancellationToken ct)
    {
        await c.AppendTextAsync("result", $"answer to {c.UserText}", lastChunk: true, cancellationToken: ct);
        await c.CompleteAsync("done", ct);
    }

    [Fact]
    public async Task GetTask_ExistingTask_ReturnsStateArtifactsAndLimitedHistory()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));
        var taskId = (await server.Wire.SendBlockingAsync("question")).GetProperty("id").GetString()!;

        var full = await server.Wire.GetTaskAsync(taskId);
        var none = await server.Wire.GetTaskAsync(taskId, historyLength: 0);
        var one = await server.Wire.GetTaskAsync(taskId, historyLength: 1);

        Assert.Equal("TASK_STATE_COMPLETED", full.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("answer to question", full.GetProperty("artifacts")[0].GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(2, full.GetProperty("history").GetArrayLength());
        Assert.False(none.TryGetProperty("history", out _));
        Assert.Equal("ROLE_AGENT", Assert.Single(one.GetProperty("history").EnumerateArray()).GetProperty("role").GetString());
        Assert.True(full.GetProperty("status").TryGetProperty("timestamp", out _));
    }

    [Fact]
    public async Task GetTask_UnknownIdOrNegativeHistoryLength_TaskNotFoundOrInvalidParams()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));

        var unknown = await ErrorAsync(() => server.Wire.GetTaskAsync("no-such-task"), A2AErrorCodes.TaskNotFound);
        var negative = await ErrorAsync(() => server.Wire.GetTaskAsync("x", historyLength: -1), A2AErrorCodes.InvalidParams);

        Assert.Equal("no-such-task", unknown.Metadata["taskId"]);
        Assert.Equal("historyLength", negative.Field);
    }

    [Theory]
    [InlineData(101)]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task ListTasks_PageSizeOutOfRange_InvalidParams(int pageSize)
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));

        var error = await ErrorAsync(() => server.Wire.ListTasksAsync(new JsonObject { ["pageSize"] = pageSize }), A2AErrorCodes.InvalidParams);

        Assert.Equal("pageSize", error.Field);
        Assert.Contains("100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListTasks_PageSizeAtMaximum_IsAccepted()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));

        var page = await server.Wire.ListTasksAsync(new JsonObject { ["pageSize"] = 100 });

        Assert.Equal(100, page.GetProperty("pageSize").GetInt32());
    }

    [Fact]
    public async Task ListTasks_Pagination_VisitsEveryTaskOnceNewestFirstAndLastTokenIsEmpty()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await server.Wire.SendBlockingAsync($"q{i}")).GetProperty("id").GetString()!);
        }

        var pages = new List<JsonElement>();
        var token = "";
        do
        {
            var page = await server.Wire.ListTasksAsync(new JsonObject { ["pageSize"] = 2, ["pageToken"] = token });
            pages.Add(page);
            Assert.Equal(JsonValueKind.String, page.GetProperty("nextPageToken").ValueKind); // always present
            token = page.GetProperty("nextPageToken").GetString()!;
        }
        while (token.Length > 0 && pages.Count < 10);

        Assert.Equal([2, 2, 1], pages.Select(p => p.GetProperty("tasks").GetArrayLength()));
        Assert.All(pages, p => Assert.Equal(5, p.GetProperty("totalSize").GetInt32()));
        Assert.All(pages, p => Assert.Equal(2, p.GetProperty("pageSize").GetInt32()));
        Assert.Equal("", pages[^1].GetProperty("nextPageToken").GetString());
        var tasks = pages.SelectMany(p => p.GetProperty("tasks").EnumerateArray()).ToList();
        Assert.Equal(created.Order(), tasks.Select(t => t.GetProperty("id").GetString()!).Order());
        var timestamps = tasks.Select(t => DateTimeOffset.Parse(t.GetProperty("status").GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(timestamps.OrderDescending(), timestamps);
    }

    [Fact]
    public async Task ListTasks_SinglePage_NextPageTokenIsEmptyString()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));
        await server.Wire.SendBlockingAsync();

        var page = await server.Wire.ListTasksAsync();

        Assert.Equal("", page.GetProperty("nextPageToken").GetString());
        Assert.Equal(50, page.GetProperty("pageSize").GetInt32());
        Assert.Single(page.GetProperty("tasks").EnumerateArray());
    }

    [Fact]
    public async Task ListTasks_FilterByContextIdAndStatus_ReturnsOnlyMatchingTasks()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));
        var a1 = (await server.Wire.SendBlockingAsync("x", contextId: "ctx-a")).GetProperty("id").GetString();
        var a2 = (await server.Wire.SendBlockingAsync("ask", contextId: "ctx-a")).GetProperty("id").GetString();
        var b1 = (await server.Wire.SendBlockingAsync("ask", contextId: "ctx-b")).GetProperty("id").GetString();

        var inA = await server.Wire.ListTasksAsync(new JsonObject { ["contextId"] = "ctx-a" });
        var waiting = await server.Wire.ListTasksAsync(new JsonObject { ["status"] = "TASK_STATE_INPUT_REQUIRED" });
        var waitingInA = await server.Wire.ListTasksAsync(new JsonObject { ["contextId"] = "ctx-a", ["status"] = "TASK_STATE_INPUT_REQUIRED" });
        var working = await server.Wire.ListTasksAsync(new JsonObject { ["status"] = "TASK_STATE_WORKING" });

        Assert.Equal(new[] { a1, a2 }.Order(), Ids(inA).Order());
        Assert.All(inA.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("ctx-a", t.GetProperty("contextId").GetString()));
        Assert.Equal(new[] { a2, b1 }.Order(), Ids(waiting).Order());
        Assert.Equal([a2], Ids(waitingInA));
        Assert.Empty(Ids(working));
        Assert.Equal(0, working.GetProperty("totalSize").GetInt32());
    }

    [Fact]
    public async Task ListTasks_IncludeArtifacts_DefaultOmitsArtifactsEntirely()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));
        await server.Wire.SendBlockingAsync("q");

        var byDefault = await server.Wire.ListTasksAsync(new JsonObject());
        var excluded = await server.Wire.ListTasksAsync(new JsonObject { ["includeArtifacts"] = false });
        var included = await server.Wire.ListTasksAsync(new JsonObject { ["includeArtifacts"] = true });

        Assert.False(byDefault.GetProperty("tasks")[0].TryGetProperty("artifacts", out _));
        Assert.False(excluded.GetProperty("tasks")[0].TryGetProperty("artifacts", out _));
        Assert.Equal("answer to q", included.GetProperty("tasks")[0].GetProperty("artifacts")[0].GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task ListTasks_ForeignPageToken_InvalidParams()
    {
        await using var server = await StartAsync(h => h.AddAgent(RespondAsync));

        var error = await ErrorAsync(() => server.Wire.ListTasksAsync(new JsonObject { ["pageToken"] = "not-a-token!" }), A2AErrorCodes.InvalidParams);

        Assert.Equal("pageToken", error.Field);
    }

    private static List<string?> Ids(JsonElement page) =>
        page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
}
