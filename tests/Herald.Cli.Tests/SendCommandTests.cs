using System.Text.Json;

namespace Herald.Cli.Tests;

public sealed class SendCommandTests(CliTestServer server) : IClassFixture<CliTestServer>
{
    [Fact]
    public async Task Send_StreamJson_PrintsOneLinePerEventInOrder()
    {
        var run = await CliRun.RunAsync("send", server.Url, "5 delay=0", "--stream", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        var lines = run.JsonLines;

        // The task first, then working, five chunks of one artifact, completed last: nothing more.
        Assert.Equal(8, lines.Length);
        var first = lines[0];
        Assert.Equal("task", first.GetProperty("kind").GetString());
        var task = first.GetProperty("response").GetProperty("task");
        var taskId = task.GetProperty("id").GetString();
        Assert.False(string.IsNullOrEmpty(taskId));
        Assert.Equal("TASK_STATE_SUBMITTED", task.GetProperty("status").GetProperty("state").GetString());

        Assert.Equal("statusUpdate", lines[1].GetProperty("kind").GetString());
        Assert.Equal("TASK_STATE_WORKING", lines[1].GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());

        for (var i = 1; i <= 5; i++)
        {
            var line = lines[i + 1];
            Assert.Equal("artifactUpdate", line.GetProperty("kind").GetString());
            var update = line.GetProperty("response").GetProperty("artifactUpdate");
            Assert.Equal(taskId, update.GetProperty("taskId").GetString());
            Assert.Equal("chunks", update.GetProperty("artifact").GetProperty("artifactId").GetString());
            Assert.Equal($"chunk {i} of 5\n", update.GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
            Assert.Equal(i > 1, update.TryGetProperty("append", out var append) && append.GetBoolean());
            Assert.Equal(i == 5, update.TryGetProperty("lastChunk", out var last) && last.GetBoolean());
        }

        var end = lines[^1];
        Assert.Equal("statusUpdate", end.GetProperty("kind").GetString());
        var status = end.GetProperty("response").GetProperty("statusUpdate");
        Assert.Equal(taskId, status.GetProperty("taskId").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", status.GetProperty("status").GetProperty("state").GetString());

        // Every line carries its event id, strictly increasing; exactly one member of the StreamResponse is set.
        var ids = lines.Select(l => l.GetProperty("id").GetInt64()).ToArray();
        Assert.True(ids.Zip(ids.Skip(1)).All(p => p.Second > p.First), string.Join(",", ids));
        Assert.All(lines, l => Assert.Single(l.GetProperty("response").EnumerateObject()));
        Assert.All(lines, l => Assert.False(l.TryGetProperty("resumed", out _)));
    }

    [Theory]
    [InlineData("3 delay=0", ExitCodes.Success, "TASK_STATE_COMPLETED")]
    [InlineData("fail", ExitCodes.Failed, "TASK_STATE_FAILED")]
    [InlineData("reject", ExitCodes.Rejected, "TASK_STATE_REJECTED")]
    [InlineData("input", ExitCodes.InputRequired, "TASK_STATE_INPUT_REQUIRED")]
    [InlineData("auth", ExitCodes.AuthRequired, "TASK_STATE_AUTH_REQUIRED")]
    public async Task Send_StreamEndsInState_ExitCodeTellsWhich(string text, int expectedExitCode, string expectedState)
    {
        var run = await CliRun.RunAsync("send", server.Url, text, "--stream", "--json");

        Assert.Equal(expectedExitCode, run.ExitCode);
        Assert.Equal("", run.Error);
        var last = run.JsonLines[^1].GetProperty("response");
        var state = last.TryGetProperty("statusUpdate", out var update)
            ? update.GetProperty("status").GetProperty("state").GetString()
            : last.GetProperty("task").GetProperty("status").GetProperty("state").GetString();
        Assert.Equal(expectedState, state);
    }

    [Theory]
    [InlineData("3 delay=0", ExitCodes.Success, "TASK_STATE_COMPLETED")]
    [InlineData("fail", ExitCodes.Failed, "TASK_STATE_FAILED")]
    [InlineData("input", ExitCodes.InputRequired, "TASK_STATE_INPUT_REQUIRED")]
    public async Task Send_WithoutStreamJson_PrintsTheResultAsOneLine(string text, int expectedExitCode, string expectedState)
    {
        var run = await CliRun.RunAsync("send", server.Url, text, "--json");

        Assert.Equal(expectedExitCode, run.ExitCode);
        var line = Assert.Single(run.JsonLines);
        Assert.Equal(expectedState, line.GetProperty("task").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Send_WithoutStream_PrintsTaskWithArtifactText()
    {
        var run = await CliRun.RunAsync("send", server.Url, "3 delay=0");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^task \S+ completed \(context \S+\)$", run.Lines[0]);
        Assert.Contains("    chunk 1 of 3", run.Lines);
        Assert.Contains("    chunk 3 of 3", run.Lines);
    }

    [Fact]
    public async Task Send_DirectReply_PrintsTheMessageAndSucceeds()
    {
        var run = await CliRun.RunAsync("send", server.Url, "hello", "--stream", "--json");

        Assert.Equal(0, run.ExitCode);
        var line = Assert.Single(run.JsonLines);
        Assert.Equal("message", line.GetProperty("kind").GetString());
        Assert.Equal("hello to you", line.GetProperty("response").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Send_StreamOutputRedirected_PrintsPlainProgressLinesAndFinalState()
    {
        var run = await CliRun.RunAsync("send", server.Url, "3 delay=0", "--stream");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        var lines = run.Lines;
        Assert.DoesNotContain(lines, l => l.Contains('\u001b', StringComparison.Ordinal)); // no terminal escapes when redirected
        var first = System.Text.RegularExpressions.Regex.Match(lines[0], @"^\[\s*\d+\.\d\ds\] task (?<id>\S+) submitted \(context \S+\)$");
        Assert.True(first.Success, lines[0]);
        var taskId = first.Groups["id"].Value;
        Assert.Contains(lines, l => l.EndsWith("] working: streaming 3 chunks", StringComparison.Ordinal));
        var chunks = lines.Where(l => l.Contains("] chunks| ", StringComparison.Ordinal)).Select(l => l[(l.IndexOf("| ", StringComparison.Ordinal) + 2)..]).ToArray();
        Assert.Equal(["chunk 1 of 3", "chunk 2 of 3", "chunk 3 of 3"], chunks);
        Assert.Matches($@"^task {taskId} completed \(\d+\.\d\ds\)$", lines[^1]);
    }

    [Fact]
    public async Task Send_StreamFailed_PlainFinalLineCarriesTheReason()
    {
        var run = await CliRun.RunAsync("send", server.Url, "fail", "--stream");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Matches(@"^task \S+ failed: it broke \(\d+\.\d\ds\)$", run.Lines[^1]);
    }

    [Fact]
    public async Task Send_TaskCanceledFromAnotherCommand_Exits3()
    {
        var output = new LineWriter();
        var error = new StringWriter();
        var send = HeraldCli.RunAsync(["send", server.Url, "wait", "--stream", "--json"], output, error);

        var taskId = CliRun.Parse(await output.ReadLineAsync(CliRun.Timeout)).GetProperty("response").GetProperty("task").GetProperty("id").GetString()!;
        var working = CliRun.Parse(await output.ReadLineAsync(CliRun.Timeout));
        Assert.Equal("TASK_STATE_WORKING", working.GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());

        var cancel = await CliRun.RunAsync("cancel", server.Url, taskId);
        Assert.Equal(0, cancel.ExitCode);
        Assert.Equal($"task {taskId} canceled", Assert.Single(cancel.Lines));

        Assert.Equal(ExitCodes.Canceled, await send.WaitAsync(CliRun.Timeout));
        var last = CliRun.Parse(await output.ReadLineAsync(CliRun.Timeout));
        Assert.Equal("TASK_STATE_CANCELED", last.GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public async Task Send_InterruptedByCtrlC_Exits130AndSaysHowToContinue()
    {
        var output = new LineWriter();
        var error = new StringWriter();
        using var interrupt = new CancellationTokenSource();
        var send = HeraldCli.RunAsync(["send", server.Url, "wait", "--stream", "--json"], output, error, interrupt.Token);
        var taskId = CliRun.Parse(await output.ReadLineAsync(CliRun.Timeout)).GetProperty("response").GetProperty("task").GetProperty("id").GetString()!;
        var working = CliRun.Parse(await output.ReadLineAsync(CliRun.Timeout));
        var lastId = working.GetProperty("id").GetInt64();

        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Interrupted, await send.WaitAsync(CliRun.Timeout));
        var message = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"herald subscribe {server.Url} {taskId} --after {lastId}", message, StringComparison.Ordinal);

        // The task was not canceled by leaving: it is still working on the server.
        var get = await CliRun.RunAsync("get", server.Url, taskId, "--json");
        Assert.Equal("TASK_STATE_WORKING", Assert.Single(get.JsonLines).GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(0, (await CliRun.RunAsync("cancel", server.Url, taskId)).ExitCode);
    }

    [Fact]
    public async Task Send_ContinueInputRequiredTask_WithTaskOption()
    {
        var first = await CliRun.RunAsync("send", server.Url, "input", "--json");
        Assert.Equal(ExitCodes.InputRequired, first.ExitCode);
        var task = Assert.Single(first.JsonLines).GetProperty("task");
        var taskId = task.GetProperty("id").GetString()!;
        var contextId = task.GetProperty("contextId").GetString()!;

        var second = await CliRun.RunAsync("send", server.Url, "2 delay=0", "--task", taskId, "--context", contextId, "--stream", "--json");

        Assert.Equal(0, second.ExitCode);
        Assert.All(second.JsonLines, l =>
        {
            var response = l.GetProperty("response");
            var id = response.TryGetProperty("task", out var t) ? t.GetProperty("id")
                : response.TryGetProperty("statusUpdate", out var s) ? s.GetProperty("taskId")
                : response.GetProperty("artifactUpdate").GetProperty("taskId");
            Assert.Equal(taskId, id.GetString());
        });
    }

    [Fact]
    public void Json_EventLine_IsCompactAndCarriesResumeInfo()
    {
        var e = new Client.StreamEvent(
            new Protocol.StreamResponse { StatusUpdate = new Protocol.TaskStatusUpdateEvent { TaskId = "t", ContextId = "c", Status = new Protocol.AgentTaskStatus { State = Protocol.TaskState.Working } } },
            7)
        {
            Resumed = new Client.ResumeInfo { TaskId = "t", WithLastEventId = true, LastEventId = "6", Attempt = 2, ResumeCount = 1 },
        };

        var line = Output.JsonLines.Event(e);

        Assert.DoesNotContain('\n', line);
        var json = CliRun.Parse(line);
        Assert.Equal(7, json.GetProperty("id").GetInt64());
        Assert.Equal("statusUpdate", json.GetProperty("kind").GetString());
        Assert.Equal("6", json.GetProperty("resumed").GetProperty("lastEventId").GetString());
        Assert.Equal(2, json.GetProperty("resumed").GetProperty("attempt").GetInt32());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("response").GetProperty("statusUpdate").ValueKind);
    }
}
