using System.Globalization;
using Herald.Cli.Agents;
using Herald.Protocol;

namespace Herald.Cli.Tests;

public sealed class ExecAgentTests
{
    private static ExecAgent Shell(string script) => new(new ExecCommand("/bin/sh", ["-c", script]));

    [Fact]
    public async Task ExecuteAsync_ExitZero_FeedsStdinStreamsEachStdoutLineAndCompletes()
    {
        await using var harness = new AgentHarness(Shell("cat; echo; echo gamma"));

        var events = await harness.StreamAsync("alpha\nbeta");

        Assert.Equal(TaskState.Working, events[0].Status().Status.State);
        var chunks = events.Where(e => e.ArtifactUpdate is not null).Select(e => e.Artifact()).ToList();
        Assert.All(chunks, c => Assert.Equal(ExecAgent.ArtifactId, c.Artifact.ArtifactId));
        Assert.Equal(["alpha\n", "beta\n", "gamma\n", ""], chunks.Select(c => c.Text()));
        Assert.Equal([null, true, true, true], chunks.Select(c => c.Append));
        Assert.Equal([null, null, null, true], chunks.Select(c => c.LastChunk));
        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
    }

    [Fact]
    public async Task ExecuteAsync_NonZeroExit_FailsWithExitCodeAndLastTwentyLinesOfStderr()
    {
        await using var harness = new AgentHarness(Shell("echo partial; i=1; while [ $i -le 30 ]; do echo \"err $i\" >&2; i=$((i+1)); done; exit 3"));

        var events = await harness.StreamAsync("");

        var failed = events[^1];
        Assert.Equal(TaskState.Failed, failed.Status().Status.State);
        var message = failed.StatusText()!;
        Assert.Contains("exited with code 3", message, StringComparison.Ordinal);
        var lines = message.Split('\n');
        Assert.Equal(Enumerable.Range(11, 20).Select(i => $"err {i}"), lines[^20..]);
        Assert.DoesNotContain("err 10", lines);
        Assert.Equal("partial\n", events.First(e => e.ArtifactUpdate is not null).Artifact().Text());
    }

    [Fact]
    public async Task ExecuteAsync_ChattyStderrAndUnreadLargeInput_CompletesWithoutDeadlock()
    {
        // 1 MB on stderr and 1 MB of stdin the process never reads: both exceed any pipe buffer.
        await using var harness = new AgentHarness(Shell("head -c 1048576 /dev/zero | tr '\\0' x >&2; echo done"));

        var events = await harness.StreamAsync(new string('y', 1024 * 1024));

        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
        Assert.Equal("done\n", events.First(e => e.ArtifactUpdate is not null).Artifact().Text());
    }

    [Fact]
    public async Task ExecuteAsync_CommandNotFound_FailsWithClearMessage()
    {
        await using var harness = new AgentHarness(new ExecAgent(new ExecCommand("/nonexistent/herald-no-such-command", [])));

        var events = await harness.StreamAsync("hi");

        var failed = Assert.Single(events);
        Assert.Equal(TaskState.Failed, failed.Status().Status.State);
        Assert.StartsWith("Could not start '/nonexistent/herald-no-such-command'", failed.StatusText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_Canceled_KillsProcessPromptlyAndTaskIsCanceled()
    {
        var agent = new ObservedAgent(Shell("echo $$; exec sleep 30"));
        await using var harness = new AgentHarness(agent);
        var start = await harness.StartStreamAsync("");
        using var timeout = new CancellationTokenSource(AgentHarness.Timeout);
        await using var stream = harness.Engine.SubscribeAsync(start.Task.Id, start.Sequence, cancellationToken: timeout.Token).GetAsyncEnumerator();
        var pid = await ReadPidAsync(stream);

        await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = start.Task.Id }, CancellationToken.None);

        // Far less than the 30 s the process would otherwise run.
        await agent.Finished.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} (sleep 30) is still there after the agent returned");
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal(TaskState.Canceled, stream.Current.Status().Status.State);
        Assert.False(await stream.MoveNextAsync());
    }

    [Fact]
    public async Task ExecuteAsync_Canceled_KillsTheWholeProcessTree()
    {
        // A grandchild holds the write end of a FIFO the test reads: end-of-file means it is dead.
        var dir = Directory.CreateTempSubdirectory("herald-exec-");
        try
        {
            var fifo = Path.Combine(dir.FullName, "alive");
            var agent = new ObservedAgent(new ExecAgent(
                new ExecCommand("/bin/sh", ["-c", "mkfifo \"$0\" && { (sleep 30 > \"$0\") & echo started; wait; }", fifo])));
            await using var harness = new AgentHarness(agent);
            var start = await harness.StartStreamAsync("");
            using var timeout = new CancellationTokenSource(AgentHarness.Timeout);
            await using var stream = harness.Engine.SubscribeAsync(start.Task.Id, start.Sequence, cancellationToken: timeout.Token).GetAsyncEnumerator();
            while (await stream.MoveNextAsync() && stream.Current.ArtifactUpdate is null)
            {
            }

            Assert.Equal("started\n", stream.Current.Artifact().Text());
            await using var reader = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous))
                .WaitAsync(AgentHarness.Timeout);
            var eof = reader.ReadAsync(new byte[1], timeout.Token).AsTask();
            Assert.False(eof.IsCompleted);

            await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = start.Task.Id }, CancellationToken.None);

            Assert.Equal(0, await eof.WaitAsync(TimeSpan.FromSeconds(10)));
            await agent.Finished.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(await stream.MoveNextAsync());
            Assert.Equal(TaskState.Canceled, stream.Current.Status().Status.State);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TakeTail_LongText_KeepsAtMostTheLastTwentyLinesAndTwoKilobytes()
    {
        var manyLines = string.Join('\n', Enumerable.Range(1, 100).Select(i => $"line {i}")) + "\n";
        Assert.Equal(string.Join('\n', Enumerable.Range(81, 20).Select(i => $"line {i}")), ExecAgent.TakeTail(manyLines));

        var longLines = string.Join('\n', Enumerable.Range(1, 10).Select(i => $"{i}:" + new string('z', 500)));
        var tail = ExecAgent.TakeTail(longLines);
        Assert.True(tail.Length <= ExecAgent.StderrTailChars);
        Assert.EndsWith("10:" + new string('z', 500), tail, StringComparison.Ordinal);
        Assert.StartsWith("7:", tail, StringComparison.Ordinal);

        Assert.Equal("", ExecAgent.TakeTail("\n\n"));
    }

    private static async Task<int> ReadPidAsync(IAsyncEnumerator<Herald.Server.Storage.TaskEvent> stream)
    {
        while (await stream.MoveNextAsync())
        {
            if (stream.Current.ArtifactUpdate is { } update)
            {
                return int.Parse(update.Text().Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("The stream ended before the process printed its id.");
    }
}
