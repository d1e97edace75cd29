using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Engine;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// A2A 1.1 generations through the engine, on every store: the long-poll (woken by the store's own wake-ups, timed out by
/// the engine's clock) and the guarded follow-up (decided by the store with the continue decision).
/// </summary>
public abstract class GenerationEngineTests : EngineTests
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(40);

    /// <summary>Asks for input on the first message of a task, completes on the next.</summary>
    private static Task AskThenCompleteAsync(AgentContext c, CancellationToken ct) =>
        c.UserText == "start" ? c.RequireInputAsync("which one?", ct).AsTask() : c.CompleteAsync($"got {c.UserText}", ct).AsTask();

    private static async Task<(Task<AgentTask> Poll, long Current)> StartPollAsync(EngineHarness harness, string taskId)
    {
        var current = (await harness.Engine.GetTaskAsync(new GetTaskRequest { Id = taskId })).Generation!.Value;
        var waiting = Bounded.NewSignal();
        harness.Engine.OnLongPollWaiting = _ => waiting.TrySetResult();
        var poll = harness.Engine.GetTaskAsync(new GetTaskRequest { Id = taskId, CurrentGeneration = current }).AsTask();
        await Task.WhenAny(waiting.Task, poll).Within();
        Assert.False(poll.IsCompleted, "The long-poll answered before the task changed.");
        return (poll, current);
    }

    [StoreFact]
    public async Task LongPoll_WokenByAnAppendToTheStore_AnswersWithTheNextGeneration()
    {
        await using var harness = Harness(configure: o => o.LongPollTimeout = LongPoll);
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Working);
        var (poll, current) = await StartPollAsync(harness, task.Id);

        var appended = await harness.Tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "a", Parts = [Part.FromText("news")] });
        var answer = await poll.Within();

        Assert.Equal(current + 1, appended.Generation);
        Assert.Equal(current + 1, answer.Generation);
        Assert.Equal("news", answer.Artifacts![0].Parts[0].Text);
    }

    [StoreFact]
    public async Task LongPoll_NothingChanges_AnswersAsItIsWhenTheEnginesClockReachesTheTimeout()
    {
        await using var harness = Harness(configure: o => o.LongPollTimeout = LongPoll);
        var task = await harness.Tasks.CreateTaskAsync();
        var (poll, current) = await StartPollAsync(harness, task.Id);

        harness.Clock.Advance(LongPoll - TimeSpan.FromSeconds(1));
        Assert.False(poll.IsCompleted, "The long-poll answered before its timeout.");
        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        var answer = await poll.Within();

        Assert.Equal(current, answer.Generation);
        Assert.Equal(TaskState.Submitted, answer.Status.State);
    }

    [StoreFact]
    public async Task GuardedFollowUp_DecidedByTheStore_MismatchWritesNothing()
    {
        await using var harness = Harness(AskThenCompleteAsync);
        var asked = await harness.SendForTaskAsync(EngineHarness.Request("start"));
        var generation = asked.Generation!.Value;
        var before = await harness.Store.GetAsync(asked.Id);

        var stale = EngineHarness.Request("late", taskId: asked.Id) with { Configuration = new SendMessageConfiguration { IfGenerationMatch = generation - 1 } };
        var error = await Assert.ThrowsAsync<A2AException>(() => harness.SendAsync(stale));
        var after = await harness.Store.GetAsync(asked.Id);
        var fresh = EngineHarness.Request("Ada", taskId: asked.Id) with { Configuration = new SendMessageConfiguration { IfGenerationMatch = generation } };
        var done = await harness.SendForTaskAsync(fresh);

        Assert.Equal(A2AErrorCodes.TaskGenerationMismatch, error.Code);
        Assert.Equal(generation.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Details!["currentGeneration"]);
        Assert.Equal(before!.Sequence, after!.Sequence);
        Assert.Equal(TaskState.InputRequired, after.Task.Status.State);
        Assert.Equal(TaskState.Completed, done.Status.State);
        Assert.True(done.Generation > generation);
    }
}
