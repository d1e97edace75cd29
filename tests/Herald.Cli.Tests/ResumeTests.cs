using Herald.Testing;
namespace Herald.Cli.Tests;

/// <summary>A stream cut in the middle (by a proxy) is resumed by the client, and the CLI says so.</summary>
public sealed class ResumeTests(ProxiedCliTestServer server) : IClassFixture<ProxiedCliTestServer>
{
    [Fact]
    public async Task Send_StreamCutMidway_JsonMarksTheResumedEventAndLosesNothing()
    {
        var proxy = server.Proxy;
        var key = Guid.NewGuid().ToString("N");
        var output = new LineWriter();
        var error = new StringWriter();
        var send = HeraldCli.RunAsync(["send", server.Url, $"gate {key}", "--stream", "--json"], output, error);

        var before = new List<string>();
        while (before.Count == 0 || !before[^1].Contains("before the cut", StringComparison.Ordinal))
        {
            before.Add(await output.ReadLineAsync(CliRun.Timeout));
        }

        Assert.True(proxy.CutAll() > 0); // the agent waits for the gate: the stream cannot have ended
        ScriptedAgent.Open(key);

        Assert.Equal(0, await send.WaitAsync(CliRun.Timeout));
        var after = new List<string>();
        while (after.Count == 0 || !after[^1].Contains("TASK_STATE_COMPLETED", StringComparison.Ordinal))
        {
            after.Add(await output.ReadLineAsync(CliRun.Timeout));
        }

        var lines = before.Concat(after).Select(CliRun.Parse).ToArray();
        var ids = lines.Select(l => l.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(ids.Order().Distinct(), ids); // once each, in order
        Assert.Equal(["task", "statusUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate"], lines.Select(l => l.GetProperty("kind").GetString()));

        var resumed = lines[before.Count].GetProperty("resumed");
        Assert.True(resumed.GetProperty("withLastEventId").GetBoolean());
        Assert.Equal(ids[before.Count - 1].ToString(System.Globalization.CultureInfo.InvariantCulture), resumed.GetProperty("lastEventId").GetString());
        Assert.All(lines.Where((_, i) => i != before.Count), l => Assert.False(l.TryGetProperty("resumed", out _)));
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public async Task Send_StreamCutMidwayPlain_PrintsAResumeNotice()
    {
        var proxy = server.Proxy;
        var key = Guid.NewGuid().ToString("N");
        var output = new LineWriter();
        var send = HeraldCli.RunAsync(["send", server.Url, $"gate {key}", "--stream"], output, new StringWriter());

        while (!(await output.ReadLineAsync(CliRun.Timeout)).EndsWith("out| before the cut", StringComparison.Ordinal))
        {
        }

        Assert.True(proxy.CutAll() > 0);
        ScriptedAgent.Open(key);

        Assert.Equal(0, await send.WaitAsync(CliRun.Timeout));
        var rest = new List<string>();
        while (rest.Count == 0 || !rest[^1].StartsWith("task ", StringComparison.Ordinal))
        {
            rest.Add(await output.ReadLineAsync(CliRun.Timeout));
        }

        Assert.Matches(@"\] connection lost; resumed after event \d+ \(attempt 1, resume #1\): nothing missed$", rest[0]);
        Assert.Single(rest, l => l.EndsWith("out| after the cut", StringComparison.Ordinal));
        Assert.Contains(" completed (", rest[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_StreamCutWithNoResume_Exits10AndSaysHowToContinue()
    {
        var proxy = server.Proxy;
        var key = Guid.NewGuid().ToString("N");
        var output = new LineWriter();
        var error = new StringWriter();
        var url = server.Url;
        var send = HeraldCli.RunAsync(["send", url, $"gate {key}", "--stream", "--json", "--no-resume"], output, error);

        string line;
        do
        {
            line = await output.ReadLineAsync(CliRun.Timeout);
        }
        while (!line.Contains("before the cut", StringComparison.Ordinal));
        var lastId = CliRun.Parse(line).GetProperty("id").GetInt64();
        var taskId = CliRun.Parse(line).GetProperty("response").GetProperty("artifactUpdate").GetProperty("taskId").GetString();

        Assert.True(proxy.CutAll() > 0);

        Assert.Equal(ExitCodes.Unreachable, await send.WaitAsync(CliRun.Timeout));
        ScriptedAgent.Open(key);
        var message = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"herald subscribe {url} {taskId} --after {lastId}", message, StringComparison.Ordinal);
    }
}
