using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.AspNetCore.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests;

/// <summary>GetTask and ListTasks over the wire.</summary>
public sealed class TaskQueryTests
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
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));
        var taskId = (await server.SendBlockingAsync("question")).GetProperty("id").GetString()!;

        var full = await server.GetTaskAsync(taskId);
        var none = await server.GetTaskAsync(taskId, historyLength: 0);
        var one = await server.GetTaskAsync(taskId, historyLength: 1);

        Assert.Equal("TASK_STATE_COMPLETED", full.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("answer to question", full.GetProperty("artifacts")[0].GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(2, full.GetProperty("history").GetArrayLength());
        Assert.False(none.TryGetProperty("history", out _));
        Assert.Equal("ROLE_AGENT", Assert.Single(one.GetProperty("history").EnumerateArray()).GetProperty("role").GetString());
        Assert.True(full.GetProperty("status").TryGetProperty("timestamp", out _));
    }

    [Fact]
    public async Task GetTask_UnknownOrMissingId_TaskNotFoundOrInvalidParams()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));

        await server.ErrorAsync("GetTask", new JsonObject { ["id"] = "no-such-task" }, A2AErrorCodes.TaskNotFound);
        var missing = await server.ErrorAsync("GetTask", new JsonObject(), A2AErrorCodes.InvalidParams);
        var negative = await server.ErrorAsync("GetTask", new JsonObject { ["id"] = "x", ["historyLength"] = -1 }, A2AErrorCodes.InvalidParams);

        Assert.Equal("id", SubscribeToTaskTests.FieldViolation(missing));
        Assert.Equal("historyLength", SubscribeToTaskTests.FieldViolation(negative));
    }

    [Theory]
    [InlineData(101)]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task ListTasks_PageSizeOutOfRange_InvalidParams(int pageSize)
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));

        var error = await server.ErrorAsync("ListTasks", new JsonObject { ["pageSize"] = pageSize }, A2AErrorCodes.InvalidParams);

        Assert.Equal("pageSize", SubscribeToTaskTests.FieldViolation(error));
        Assert.Contains("100", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListTasks_PageSizeAtMaximum_IsAccepted()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));

        var page = await server.ResultAsync("ListTasks", new JsonObject { ["pageSize"] = 100 });

        Assert.Equal(100, page.GetProperty("pageSize").GetInt32());
    }

    [Fact]
    public async Task ListTasks_Pagination_VisitsEveryTaskOnceNewestFirstAndLastTokenIsEmpty()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await server.SendBlockingAsync($"q{i}")).GetProperty("id").GetString()!);
        }

        var pages = new List<JsonElement>();
        var token = "";
        do
        {
            var page = await server.ResultAsync("ListTasks", new JsonObject { ["pageSize"] = 2, ["pageToken"] = token });
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
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));
        await server.SendBlockingAsync();

        var page = await server.ResultAsync("ListTasks", null);

        Assert.Equal("", page.GetProperty("nextPageToken").GetString());
        Assert.Equal(50, page.GetProperty("pageSize").GetInt32());
        Assert.Single(page.GetProperty("tasks").EnumerateArray());
    }

    [Fact]
    public async Task ListTasks_FilterByContextIdAndStatus_ReturnsOnlyMatchingTasks()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));
        var a1 = (await server.SendBlockingAsync("x", contextId: "ctx-a")).GetProperty("id").GetString();
        var a2 = (await server.SendBlockingAsync("ask", contextId: "ctx-a")).GetProperty("id").GetString();
        var b1 = (await server.SendBlockingAsync("ask", contextId: "ctx-b")).GetProperty("id").GetString();

        var inA = await server.ResultAsync("ListTasks", new JsonObject { ["contextId"] = "ctx-a" });
        var waiting = await server.ResultAsync("ListTasks", new JsonObject { ["status"] = "TASK_STATE_INPUT_REQUIRED" });
        var waitingInA = await server.ResultAsync("ListTasks", new JsonObject { ["contextId"] = "ctx-a", ["status"] = "TASK_STATE_INPUT_REQUIRED" });
        var working = await server.ResultAsync("ListTasks", new JsonObject { ["status"] = "TASK_STATE_WORKING" });

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
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));
        await server.SendBlockingAsync("q");

        var byDefault = await server.ResultAsync("ListTasks", new JsonObject());
        var excluded = await server.ResultAsync("ListTasks", new JsonObject { ["includeArtifacts"] = false });
        var included = await server.ResultAsync("ListTasks", new JsonObject { ["includeArtifacts"] = true });

        Assert.False(byDefault.GetProperty("tasks")[0].TryGetProperty("artifacts", out _));
        Assert.False(excluded.GetProperty("tasks")[0].TryGetProperty("artifacts", out _));
        Assert.Equal("answer to q", included.GetProperty("tasks")[0].GetProperty("artifacts")[0].GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task ListTasks_ForeignPageToken_InvalidParams()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(RespondAsync));

        var error = await server.ErrorAsync("ListTasks", new JsonObject { ["pageToken"] = "not-a-token!" }, A2AErrorCodes.InvalidParams);

        Assert.Equal("pageToken", SubscribeToTaskTests.FieldViolation(error));
    }

    private static List<string?> Ids(JsonElement page) =>
        page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
}
