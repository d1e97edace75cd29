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
    public async Task ExecuteAsync_Command_RunsInASessionAndProcessGroupOfItsOwn()
    {
        // cat inherits the shell's group and session: its stat shows both while it runs.
        await using var harness = new AgentHarness(Shell("echo $$; cat /proc/self/stat"));

        var events = await harness.StreamAsync("");

        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
        var lines = string.Concat(events.Where(e => e.ArtifactUpdate is not null).Select(e => e.Artifact().Text())).Split('\n');
        var shell = int.Parse(lines[0], CultureInfo.InvariantCulture);
        var stat = lines[1][(lines[1].LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(shell, int.Parse(stat[2], CultureInfo.InvariantCulture));
        Assert.Equal(shell, int.Parse(stat[3], CultureInfo.InvariantCulture));
        Assert.NotEqual(ProcessProbe.GroupAndSession(Environment.ProcessId).Session, shell);
    }

    [Fact]
    public async Task ExecuteAsync_Canceled_KillsOrphansAndSetsidGrandchildren()
    {
        var agent = new ObservedAgent(new ExecAgent(new ExecCommand("/bin/sh", ["-c", LeftoversScript])));
        await using var harness = new AgentHarness(agent);
        var start = await harness.StartStreamAsync("");
        using var timeout = new CancellationTokenSource(AgentHarness.Timeout);
        await using var stream = harness.Engine.SubscribeAsync(start.Task.Id, start.Sequence, cancellationToken: timeout.Token).GetAsyncEnumerator();
        var pids = await ReadLeftoverPidsAsync(stream);
        Assert.All(pids, pid => Assert.True(ProcessProbe.IsRunning(pid), $"process {pid} should run before the cancel"));

        await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = start.Task.Id }, CancellationToken.None);

        await agent.Finished.WaitAsync(AgentHarness.Timeout);
        Assert.True(pids.All(pid => !ProcessProbe.IsRunning(pid)), "still running after the cancel: " + ProcessProbe.Describe(pids));
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal(TaskState.Canceled, stream.Current.Status().Status.State);
    }

    [Fact]
    public async Task ExecuteAsync_Shutdown_KillsOrphansAndSetsidGrandchildren()
    {
        var agent = new ObservedAgent(new ExecAgent(new ExecCommand("/bin/sh", ["-c", LeftoversScript])));
        await using var harness = new AgentHarness(agent);
        var start = await harness.StartStreamAsync("");
        using var timeout = new CancellationTokenSource(AgentHarness.Timeout);
        await using var stream = harness.Engine.SubscribeAsync(start.Task.Id, start.Sequence, cancellationToken: timeout.Token).GetAsyncEnumerator();
        var pids = await ReadLeftoverPidsAsync(stream);

        await harness.Engine.ShutdownAsync(CancellationToken.None).WaitAsync(AgentHarness.Timeout);

        Assert.True(agent.Finished.IsCompleted, "shutdown returned before the agent");
        Assert.True(pids.All(pid => !ProcessProbe.IsRunning(pid)), "still running after shutdown: " + ProcessProbe.Describe(pids));
    }

    [Fact]
    public async Task ExecuteAsync_BackgroundChildHoldsStdout_CompletesWhenCommandExitsAndKillsChild()
    {
        // Without the cut, the task would stay working for the 300 s the child holds stdout and stderr.
        var options = new ExecAgentOptions { OutputGracePeriod = TimeSpan.FromMilliseconds(300) };
        await using var harness = new AgentHarness(new ExecAgent(new ExecCommand("/bin/sh", ["-c", "sleep 300 & echo $!; echo done"]), options));

        var events = await harness.StreamAsync("");

        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
        var chunks = events.Where(e => e.ArtifactUpdate is not null).Select(e => e.Artifact().Text()).ToList();
        Assert.Equal("done\n", chunks[1]);
        var child = int.Parse(chunks[0], CultureInfo.InvariantCulture);
        Assert.False(ProcessProbe.IsRunning(child), $"the background child {child} outlived its completed task");
    }

    [Fact]
    public async Task ExecuteAsync_OutputAfterCommandExitsWithinGrace_IsStillStreamed()
    {
        await using var harness = new AgentHarness(Shell("echo early; (sleep 0.2; echo late) &"));

        var events = await harness.StreamAsync("");

        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
        Assert.Equal(["early\n", "late\n", ""], events.Where(e => e.ArtifactUpdate is not null).Select(e => e.Artifact().Text()));
    }

    [Fact]
    public async Task ExecuteAsync_OneMebibyteLineWithoutNewline_ArrivesAsChunksOfAtMostTheLimit()
    {
        await using var harness = new AgentHarness(Shell("head -c 1048576 /dev/zero | tr '\\0' x"));

        var events = await harness.StreamAsync("");

        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
        var pieces = events.Where(e => e.ArtifactUpdate is not null).Select(e => e.Artifact().Text()).ToList();
        Assert.Equal("", pieces[^1]);
        pieces.RemoveAt(pieces.Count - 1);
        Assert.Equal(1048576 / ExecAgentOptions.DefaultMaxLineBytes, pieces.Count);
        Assert.All(pieces, p => Assert.Equal(ExecAgentOptions.DefaultMaxLineBytes, p.Length));
        Assert.Equal(new string('x', 1048576), string.Concat(pieces));
    }

    [Fact]
    public async Task ExecuteAsync_EndlessLineCanceled_StreamsBoundedChunksAndEnds()
    {
        var agent = new ObservedAgent(new ExecAgent(new ExecCommand("/bin/sh", ["-c", "echo $$; yes x | tr -d '\\n'"]),
            new ExecAgentOptions { MaxLineBytes = 4096 }));
        await using var harness = new AgentHarness(agent);
        var start = await harness.StartStreamAsync("");
        using var timeout = new CancellationTokenSource(AgentHarness.Timeout);
        await using var stream = harness.Engine.SubscribeAsync(start.Task.Id, start.Sequence, cancellationToken: timeout.Token).GetAsyncEnumerator();
        var shell = await ReadPidAsync(stream);

        // 8 MiB of one line: a line reader would hold it all (and, endless, grow until the process dies).
        var pieces = 0;
        while (pieces < 2048 && await stream.MoveNextAsync())
        {
            var text = stream.Current.Artifact().Text();
            Assert.InRange(text.Length, 4093, 4096);
            pieces++;
        }

        await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = start.Task.Id }, CancellationToken.None);

        await agent.Finished.WaitAsync(AgentHarness.Timeout);
        Assert.Empty(ProcessProbe.LiveInSession(shell));
        while (await stream.MoveNextAsync() && stream.Current.StatusUpdate is null)
        {
        }

        Assert.Equal(TaskState.Canceled, stream.Current.Status().Status.State);
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

    /// <summary>
    /// Leaves three processes the shell's own end would not take along: an orphan in the command's session, an
    /// orphan in a session of its own (setsid), and a child in its own session with a cleared environment. Prints
    /// their pids, then "ready", and waits.
    /// </summary>
    private const string LeftoversScript =
        "(sleep 300 & echo $!); (setsid sleep 300 & echo $!); setsid env -i /bin/sleep 300 & echo $!; echo ready; wait";

    private static async Task<List<int>> ReadLeftoverPidsAsync(IAsyncEnumerator<Herald.Server.Storage.TaskEvent> stream)
    {
        var pids = new List<int>();
        while (await stream.MoveNextAsync())
        {
            if (stream.Current.ArtifactUpdate is { } update)
            {
                var text = update.Text().Trim();
                if (text == "ready")
                {
                    Assert.Equal(3, pids.Count);
                    return pids;
                }

                pids.Add(int.Parse(text, CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidOperationException("The stream ended before the command was ready.");
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
