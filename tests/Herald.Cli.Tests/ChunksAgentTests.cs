using Herald.Cli.Agents;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Storage;

namespace Herald.Cli.Tests;

public sealed class ChunksAgentTests
{
    [Fact]
    public async Task ExecuteAsync_CountWithoutDelay_StreamsNumberedChunksInOrderThenCompletes()
    {
        await using var harness = new AgentHarness(new ChunksAgent(TimeProvider.System));

        var events = await harness.StreamAsync("5 delay=0");

        Assert.Equal(7, events.Count);
        Assert.Equal(TaskState.Working, events[0].Status().Status.State);
        Assert.Equal("streaming 5 chunks", events[0].StatusText());
        for (var i = 1; i <= 5; i++)
        {
            var chunk = events[i].Artifact();
            Assert.Equal(ChunksAgent.ArtifactId, chunk.Artifact.ArtifactId);
            Assert.Equal($"chunk {i} of 5\n", chunk.Text());
            Assert.Equal(i > 1 ? true : null, chunk.Append);
            Assert.Equal(i == 5 ? true : null, chunk.LastChunk);
        }

        Assert.Equal(TaskState.Completed, events[6].Status().Status.State);
        Assert.Equal(events.Select(e => e.Sequence).Order(), events.Select(e => e.Sequence));

        var task = await harness.Engine.GetTaskAsync(events[0].Status().TaskId);
        var artifact = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<Artifact>>(task!.Artifacts));
        Assert.Equal(string.Concat(Enumerable.Range(1, 5).Select(i => $"chunk {i} of 5\n")), string.Concat(artifact.Parts.Select(p => p.Text)));
    }

    [Fact]
    public async Task ExecuteAsync_CountWithChunksWord_StreamsThatManyChunks()
    {
        // "5 chunks" uses the default 100 ms delay: the test clock moves on each delay as soon as the agent waits on it.
        var time = new TestClock();
        var delay = TimeSpan.FromMilliseconds(ChunksAgent.DefaultDelayMilliseconds);
        await using var harness = new AgentHarness(new ChunksAgent(time), time);
        var start = await harness.StartStreamAsync("5 chunks");
        var reading = harness.ReadToEndAsync(start);
        for (var i = 1; i <= 4; i++)
        {
            await time.WaitForTimerAsync(delay, i);
            time.Advance(delay);
        }

        var events = await reading;

        Assert.Equal(["chunk 1 of 5\n", "chunk 2 of 5\n", "chunk 3 of 5\n", "chunk 4 of 5\n", "chunk 5 of 5\n"],
            events.Where(e => e.ArtifactUpdate is not null).Select(e => e.Artifact().Text()));
        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
    }

    [Fact]
    public async Task ExecuteAsync_Delay_WaitsOnTheInjectedTimeProviderBetweenChunks()
    {
        var time = new TestClock();
        var delay = TimeSpan.FromMilliseconds(250);
        await using var harness = new AgentHarness(new ChunksAgent(time), time);
        var start = await harness.StartStreamAsync("3 delay=250");
        var reading = harness.ReadToEndAsync(start);

        await time.WaitForTimerAsync(delay, 1);

        // The agent is waiting on the clock: exactly one chunk so far, and nothing more until the time passes.
        Assert.Equal("chunk 1 of 3\n", await ArtifactTextAsync(harness, start.Task.Id));
        time.Advance(delay);
        await time.WaitForTimerAsync(delay, 2);
        Assert.Equal("chunk 1 of 3\nchunk 2 of 3\n", await ArtifactTextAsync(harness, start.Task.Id));
        time.Advance(delay);

        var events = await reading;
        Assert.Equal(3, events.Count(e => e.ArtifactUpdate is not null));
        Assert.Equal(TaskState.Completed, events[^1].Status().Status.State);
    }

    [Fact]
    public async Task ExecuteAsync_CanceledDuringDelay_ReturnsAndTaskIsCanceled()
    {
        var time = new TestClock();
        var agent = new ObservedAgent(new ChunksAgent(time));
        await using var harness = new AgentHarness(agent, time);
        var start = await harness.StartStreamAsync("10 delay=60000");
        var reading = harness.ReadToEndAsync(start);
        await time.WaitForTimerAsync(TimeSpan.FromMinutes(1));

        await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = start.Task.Id }, CancellationToken.None);

        // The timer never fires: only honouring the token lets the agent return.
        await agent.Finished.WaitAsync(AgentHarness.Timeout);
        var events = await reading;
        Assert.Equal(TaskState.Canceled, events[^1].Status().Status.State);
        Assert.Single(events, e => e.ArtifactUpdate is not null);
        Assert.Equal("chunk 1 of 10\n", await ArtifactTextAsync(harness, start.Task.Id));
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("100001")]
    [InlineData("5 delay=-1")]
    [InlineData("5 delay=60001")]
    public async Task ExecuteAsync_InvalidText_RejectsWithUsage(string text)
    {
        await using var harness = new AgentHarness(new ChunksAgent(TimeProvider.System));

        var events = await harness.StreamAsync(text);

        var rejected = Assert.Single(events);
        Assert.Equal(TaskState.Rejected, rejected.Status().Status.State);
        Assert.Contains("'N delay=MS'", rejected.StatusText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("20 delay=100", 20, 100)]
    [InlineData("7", 7, ChunksAgent.DefaultDelayMilliseconds)]
    [InlineData("5 chunks", 5, ChunksAgent.DefaultDelayMilliseconds)]
    [InlineData(" 1 chunk ", 1, ChunksAgent.DefaultDelayMilliseconds)]
    [InlineData("3 chunks delay=0", 3, 0)]
    [InlineData("4 DELAY = 15ms", 4, 15)]
    [InlineData("100000 delay=60000", 100_000, 60_000)]
    public void TryParse_ValidText_ReadsCountAndDelay(string text, int count, int delayMilliseconds)
    {
        Assert.True(ChunksAgent.TryParse(text, out var parsedCount, out var delay));
        Assert.Equal(count, parsedCount);
        Assert.Equal(TimeSpan.FromMilliseconds(delayMilliseconds), delay);
    }

    [Theory]
    [InlineData("five")]
    [InlineData("5 delay")]
    [InlineData("5 delay=")]
    [InlineData("-5")]
    [InlineData("5 things")]
    [InlineData("99999999999")]
    public void TryParse_InvalidText_Fails(string text) =>
        Assert.False(ChunksAgent.TryParse(text, out _, out _));

    private static async Task<string> ArtifactTextAsync(AgentHarness harness, string taskId)
    {
        var task = await harness.Engine.GetTaskAsync(taskId);
        var artifact = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<Artifact>>(task!.Artifacts));
        return string.Concat(artifact.Parts.Select(p => p.Text));
    }

    [Fact]
    public async Task ExecuteAsync_Ask_WaitsForInputThenGreetsTheAnswer()
    {
        await using var harness = new AgentHarness(new ChunksAgent(TimeProvider.System));

        var asked = await harness.StreamAsync("ask");
        var taskId = asked[^1].Status().TaskId;
        var answer = await harness.Engine.SendAsync(Caller.Anonymous, 
            new SendMessageRequest { Message = Message.UserText("Ada") with { TaskId = taskId } }, Herald.Server.Engine.SendMode.Blocking, CancellationToken.None).WaitAsync(AgentHarness.Timeout);

        Assert.Equal(TaskState.InputRequired, asked[^1].Status().Status.State);
        Assert.Equal(ChunksAgent.AskPrompt, asked[^1].StatusText());
        var task = answer.Task!.Task;
        Assert.Equal(TaskState.Completed, task.Status.State);
        var greeting = Assert.Single(task.Artifacts!);
        Assert.Equal((ChunksAgent.GreetingArtifactId, "hello Ada"), (greeting.ArtifactId, greeting.Parts[0].Text));
    }

    [Fact]
    public void Card_ListsTheAskSkill()
    {
        Assert.Contains(ChunksAgent.Card.Skills, s => s.Id == ChunksAgent.AskCommand && s.Examples!.Contains("ask"));
    }
}
