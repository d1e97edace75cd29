namespace Herald.Cli.Tests;

public sealed class TaskCommandsTests(CliTestServer server) : IClassFixture<CliTestServer>
{
    [Fact]
    public async Task Get_CompletedTask_JsonAndTextShowStateAndArtifact()
    {
        var taskId = await CompletedTaskAsync("3 delay=0");

        var json = await CliRun.RunAsync("get", server.Url, taskId, "--json");
        Assert.Equal(0, json.ExitCode);
        var task = Assert.Single(json.JsonLines);
        Assert.Equal(taskId, task.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
        var artifact = Assert.Single(task.GetProperty("artifacts").EnumerateArray().ToArray());
        Assert.Equal("chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n", string.Concat(artifact.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("text").GetString())));

        var text = await CliRun.RunAsync("get", server.Url, taskId);
        Assert.Equal(0, text.ExitCode);
        Assert.Equal($"task {taskId} completed (context {task.GetProperty("contextId").GetString()})", text.Lines[0]);
        Assert.Contains("  artifact chunks:", text.Lines);
        Assert.Contains("    chunk 3 of 3", text.Lines);
    }

    [Fact]
    public async Task Get_HistoryOption_LimitsHistory()
    {
        var taskId = await CompletedTaskAsync("fail");

        var full = Assert.Single((await CliRun.RunAsync("get", server.Url, taskId, "--json")).JsonLines);
        var one = Assert.Single((await CliRun.RunAsync("get", server.Url, taskId, "--history", "1", "--json")).JsonLines);

        Assert.True(full.GetProperty("history").GetArrayLength() > 1);
        Assert.Equal(1, one.GetProperty("history").GetArrayLength());
    }

    [Fact]
    public async Task List_AllPagesOfAContext_JsonHasEveryTask()
    {
        var context = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        foreach (var text in new[] { "1 delay=0", "fail", "2 delay=0" })
        {
            var send = await CliRun.RunAsync("send", server.Url, text, "--context", context, "--json");
            ids.Add(Assert.Single(send.JsonLines).GetProperty("task").GetProperty("id").GetString()!);
        }

        var all = await CliRun.RunAsync("list", server.Url, "--context", context, "--all", "--page-size", "1", "--json");

        Assert.Equal(0, all.ExitCode);
        var tasks = Assert.Single(all.JsonLines).GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToArray();
        Assert.Equal(ids.Order(), tasks.Order());

        var failed = await CliRun.RunAsync("list", server.Url, "--context", context, "--state", "failed", "--json");
        var only = Assert.Single(Assert.Single(failed.JsonLines).GetProperty("tasks").EnumerateArray().ToArray());
        Assert.Equal(ids[1], only.GetProperty("id").GetString());

        var page = await CliRun.RunAsync("list", server.Url, "--context", context, "--page-size", "2");
        Assert.Equal(0, page.ExitCode);
        Assert.Equal(2, page.Lines.Count(l => ids.Any(id => l.StartsWith(id, StringComparison.Ordinal))));
        Assert.StartsWith("2 task(s); more: --page-token ", page.Lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_UnknownState_IsAUsageError()
    {
        var run = await CliRun.RunAsync("list", server.Url, "--state", "sleeping");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Unknown state 'sleeping'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_WorkingTask_JsonPrintsItCanceled()
    {
        var output = new LineWriter();
        var send = HeraldCli.RunAsync(["send", server.Url, "wait", "--stream", "--json"], output, new StringWriter());
        var taskId = CliRun.Parse(await output.ReadLineAsync(CliRun.Timeout)).GetProperty("response").GetProperty("task").GetProperty("id").GetString()!;

        var cancel = await CliRun.RunAsync("cancel", server.Url, taskId, "--json");

        Assert.Equal(0, cancel.ExitCode);
        var task = Assert.Single(cancel.JsonLines);
        Assert.Equal(taskId, task.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_CANCELED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(ExitCodes.Canceled, await send.WaitAsync(CliRun.Timeout));
    }

    [Fact]
    public async Task Cancel_FinishedTask_FailsWithTheServersReason()
    {
        var taskId = await CompletedTaskAsync("1 delay=0");

        var cancel = await CliRun.RunAsync("cancel", server.Url, taskId);

        Assert.Equal(ExitCodes.Error, cancel.ExitCode);
        var line = Assert.Single(cancel.ErrorLines);
        Assert.StartsWith("herald cancel: ", line, StringComparison.Ordinal);
        Assert.Contains("TASK_NOT_CANCELABLE", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_After_PrintsOnlyLaterEvents()
    {
        var send = await CliRun.RunAsync("send", server.Url, "5 delay=0", "--stream", "--json");
        var lines = send.JsonLines;
        var taskId = lines[0].GetProperty("response").GetProperty("task").GetProperty("id").GetString()!;
        var ids = lines.Select(l => l.GetProperty("id").GetInt64()).ToArray();
        var after = ids[3];

        var run = await CliRun.RunAsync("subscribe", server.Url, taskId, "--after", after.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        var seen = run.JsonLines;
        Assert.Equal(ids.Where(i => i > after), seen.Select(l => l.GetProperty("id").GetInt64()));
        Assert.Equal(lines.Skip(4).Select(l => l.GetProperty("kind").GetString()), seen.Select(l => l.GetProperty("kind").GetString()));
        Assert.Equal("TASK_STATE_COMPLETED", seen[^1].GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Subscribe_AfterTheLastEvent_PrintsNothingAndExitsByState()
    {
        var send = await CliRun.RunAsync("send", server.Url, "fail", "--stream", "--json");
        var taskId = send.JsonLines[0].GetProperty("response").GetProperty("task").GetProperty("id").GetString()!;
        var last = send.JsonLines[^1].GetProperty("id").GetInt64();

        var run = await CliRun.RunAsync("subscribe", server.Url, taskId, "--after", last.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Subscribe_WithoutAfter_StartsWithTheTaskSnapshot()
    {
        var taskId = await CompletedTaskAsync("2 delay=0");

        var run = await CliRun.RunAsync("subscribe", server.Url, taskId, "--json");

        Assert.Equal(0, run.ExitCode);
        var task = run.JsonLines[0].GetProperty("response").GetProperty("task");
        Assert.Equal(taskId, task.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Subscribe_FinishedTaskPlain_ShowsItsFinalState()
    {
        var taskId = await CompletedTaskAsync("fail");

        var run = await CliRun.RunAsync("subscribe", server.Url, taskId);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Matches($@"^task {taskId} failed: it broke \(\d+\.\d\ds\)$", run.Lines[^1]);
    }

    [Fact]
    public async Task Card_JsonAndText_DescribeTheAgent()
    {
        var json = await CliRun.RunAsync("card", server.Url, "--json");
        Assert.Equal(0, json.ExitCode);
        var card = Assert.Single(json.JsonLines);
        Assert.Equal("CLI test agent", card.GetProperty("name").GetString());
        Assert.Equal(server.Url, card.GetProperty("supportedInterfaces")[0].GetProperty("url").GetString());

        var text = await CliRun.RunAsync("card", server.Url);
        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("CLI test agent (version ", text.Lines[0], StringComparison.Ordinal);
        Assert.Contains($"  interface: JSONRPC 1.0 at {server.Url}  (in use)", text.Lines);
        Assert.Contains(text.Lines, l => l.StartsWith("  streaming: yes", StringComparison.Ordinal));
        Assert.Contains("  versions: JSONRPC 1.0, 0.3, 1.1; HTTP+JSON 1.0, 1.1", text.Lines);
        Assert.Contains(text.Lines, l => l.StartsWith("  resumable streams: yes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetWait_WorkingTask_PrintsItOnceItChanges()
    {
        var output = new LineWriter();
        var send = HeraldCli.RunAsync(["send", server.Url, "wait", "--stream", "--json"], output, new StringWriter());
        var first = CliRun.Parse(await output.ReadLineAsync(CliRun.Timeout)).GetProperty("response").GetProperty("task");
        var taskId = first.GetProperty("id").GetString()!;
        var seen = first.GetProperty("generation").GetInt64();

        var get = CliRun.RunAsync("get", server.Url, taskId, "--wait", "--after", seen.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        var cancel = await CliRun.RunAsync("cancel", server.Url, taskId, "--json");
        var waited = await get.WaitAsync(CliRun.Timeout);

        Assert.Equal(0, waited.ExitCode);
        var task = Assert.Single(waited.JsonLines);
        Assert.True(task.GetProperty("generation").GetInt64() > seen);
        Assert.Equal(0, cancel.ExitCode);
        Assert.Equal(ExitCodes.Canceled, await send.WaitAsync(CliRun.Timeout));
    }

    [Fact]
    public async Task GetWait_FinishedTask_PrintsItAtOnce_AfterNeedsWait()
    {
        var taskId = await CompletedTaskAsync("1 delay=0");

        var waited = await CliRun.RunAsync("get", server.Url, taskId, "--wait", "--json");
        var misuse = await CliRun.RunAsync("get", server.Url, taskId, "--after", "3");

        Assert.Equal(0, waited.ExitCode);
        Assert.Equal("TASK_STATE_COMPLETED", Assert.Single(waited.JsonLines).GetProperty("status").GetProperty("state").GetString());
        Assert.NotEqual(0, misuse.ExitCode);
        Assert.Contains("--after needs --wait", misuse.Error, StringComparison.Ordinal);
    }

    private async Task<string> CompletedTaskAsync(string text)
    {
        var send = await CliRun.RunAsync("send", server.Url, text, "--json");
        return Assert.Single(send.JsonLines).GetProperty("task").GetProperty("id").GetString()!;
    }
}
