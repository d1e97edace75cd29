using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// A2A 1.1 <c>generation</c> (draft 3.2.7) over the wire: on the task and every streamed update for 1.1 clients,
/// consecutive across follow-up messages; GetTask long-polls with <c>currentGeneration</c>; a follow-up with
/// <c>ifGenerationMatch</c> is refused when it does not match (-32010). v1.0 clients see none of it.
/// </summary>
public abstract class GenerationTests : BindingTests
{
    /// <summary>A generation as ProtoJSON writes it: a number, or an int64 string (gRPC's formatter); null when absent.</summary>
    protected static long? Generation(JsonElement item) =>
        item.TryGetProperty("generation", out var g)
            ? g.ValueKind == JsonValueKind.String ? long.Parse(g.GetString()!, CultureInfo.InvariantCulture) : g.GetInt64()
            : null;

    /// <summary>The generation of a stream item (its task, status update or artifact update).</summary>
    protected static long? ItemGeneration(WireEvent e) => Generation(e.Result.GetProperty(e.Kind));

    private static async Task<string> InputRequiredTaskAsync(A2AWire wire, ControlledAgent agent)
    {
        var id = (await wire.SendImmediatelyAsync("start")).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("draft");
        await run.StatusAsync(TaskState.InputRequired, "which one?");
        await run.FinishAsync();
        return id;
    }

    [Fact]
    public async Task V10Client_SeesNoGenerationAnywhere()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));
        var wire = server.Wire.WithVersion("1.0");

        var sent = await wire.SendBlockingAsync("hi");
        var id = sent.GetProperty("id").GetString()!;
        var got = await wire.GetTaskAsync(id);
        var listed = (await wire.ListTasksAsync()).GetProperty("tasks")[0];

        Assert.Null(Generation(sent));
        Assert.Null(Generation(got));
        Assert.Null(Generation(listed));
        Assert.Equal("TASK_STATE_COMPLETED", got.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task V11Stream_TaskThenEveryUpdateCarriesTheNextGeneration_GetTaskAgrees()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var wire = server.Wire.WithVersion("1.1");

        await using var stream = await wire.StreamAsync("go");
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("a");
        await run.ArtifactAsync("b", append: true);
        await run.ArtifactAsync("c", append: true, lastChunk: true);
        await run.CompleteAsync("done");
        var events = await stream.ReadToEndAsync();

        var generations = events.Select(ItemGeneration).ToList();
        Assert.Equal("task", events[0].Kind);
        Assert.All(generations, g => Assert.NotNull(g));
        Assert.Equal(1, generations[0]);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long?)i), generations);
        var final = await wire.GetTaskAsync(run.TaskId);
        Assert.Equal(generations[^1], Generation(final));
    }

    [Fact]
    public async Task FollowUpMessage_KeepsGenerationsConsecutiveOnTheNextStream()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var wire = server.Wire.WithVersion("1.1");
        var id = await InputRequiredTaskAsync(wire, agent);
        var before = Generation(await wire.GetTaskAsync(id))!.Value;

        await using var stream = await wire.SendStreamingMessageAsync(A2AWire.SendRequest("the second", taskId: id));
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.CompleteAsync("done");
        var events = await stream.ReadToEndAsync();

        // The follow-up message is in the log but is no update: the snapshot keeps the generation, the next update is +1.
        Assert.Equal("task", events[0].Kind);
        Assert.Equal(before, ItemGeneration(events[0]));
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => (long?)(before + i)), events.Select(ItemGeneration));
    }

    [Fact]
    public async Task LongPoll_GenerationAlreadyPassed_AnswersAtOnce()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.LongPollTimeout = TimeSpan.FromMinutes(10));
        var wire = server.Wire.WithVersion("1.1");
        var id = await InputRequiredTaskAsync(wire, agent);
        var current = Generation(await wire.GetTaskAsync(id))!.Value;

        var answer = await wire.GetTaskAsync(id, currentGeneration: current - 1).Within();

        Assert.Equal(current, Generation(answer));
    }

    [Fact]
    public async Task LongPoll_HeldUntilTheNextUpdate_ThenAnswersWithIt()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.LongPollTimeout = TimeSpan.FromMinutes(10));
        var engine = (Herald.Server.Engine.TaskEngine)server.Tasks;
        var wire = server.Wire.WithVersion("1.1");
        var id = (await wire.SendImmediatelyAsync("start")).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();

        // A report returns once queued, not once durable: take the baseline once the working status is in the task.
        JsonElement task;
        using (var limit = Bounded.Token())
        {
            while ((task = await wire.GetTaskAsync(id)).GetProperty("status").GetProperty("state").GetString() != "TASK_STATE_WORKING")
            {
                await Task.Delay(5, limit.Token);
            }
        }

        var current = Generation(task)!.Value;
        var waiting = Bounded.NewSignal();
        engine.OnLongPollWaiting = _ => waiting.TrySetResult();

        var poll = wire.GetTaskAsync(id, currentGeneration: current);
        await Task.WhenAny(waiting.Task, poll).Within();
        Assert.False(poll.IsCompleted, $"The poll answered before the task's generation moved{(poll.IsFaulted ? ": " + poll.Exception : ".")}");
        await run.ArtifactAsync("news");
        var answer = await poll.Within();

        Assert.Equal(current + 1, Generation(answer));
        Assert.Equal("news", answer.GetProperty("artifacts")[0].GetProperty("parts")[0].GetProperty("text").GetString());
        await run.CompleteAsync();
        await run.FinishAsync();
    }

    [Fact]
    public async Task LongPoll_NothingHappens_AnswersWithTheTaskAsItIsAfterTheTimeout()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.LongPollTimeout = TimeSpan.FromMilliseconds(200));
        var wire = server.Wire.WithVersion("1.1");
        var id = await InputRequiredTaskAsync(wire, agent);
        var current = Generation(await wire.GetTaskAsync(id))!.Value;

        var answer = await wire.GetTaskAsync(id, currentGeneration: current).Within();

        Assert.Equal(current, Generation(answer));
        Assert.Equal("TASK_STATE_INPUT_REQUIRED", answer.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task LongPoll_TerminalTask_AnswersAtOnce()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()), o => o.LongPollTimeout = TimeSpan.FromMinutes(10));
        var wire = server.Wire.WithVersion("1.1");
        var done = await wire.SendBlockingAsync("hi");

        var answer = await wire.GetTaskAsync(done.GetProperty("id").GetString()!, currentGeneration: Generation(done)!.Value).Within();

        Assert.Equal(Generation(done), Generation(answer));
    }

    [Fact]
    public async Task GuardedFollowUp_StaleGeneration_RefusedWithMismatch_CurrentOneAccepted()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var wire = server.Wire.WithVersion("1.1");
        var id = await InputRequiredTaskAsync(wire, agent);
        var current = Generation(await wire.GetTaskAsync(id))!.Value;

        var stale = A2AWire.SendRequest("late answer", taskId: id, configuration: new JsonObject { ["ifGenerationMatch"] = current - 1, ["returnImmediately"] = true });
        var error = await ErrorAsync(() => wire.SendMessageAsync(stale), A2AErrorCodes.TaskGenerationMismatch);
        var unchanged = await wire.GetTaskAsync(id);
        var fresh = A2AWire.SendRequest("answer", taskId: id, configuration: new JsonObject { ["ifGenerationMatch"] = current, ["returnImmediately"] = true });
        var accepted = await wire.SendMessageAsync(fresh);
        var run = await agent.NextRunAsync();
        await run.CompleteAsync();
        await run.FinishAsync();

        Assert.Equal("TASK_GENERATION_MISMATCH", error.Reason);
        Assert.Equal((current - 1).ToString(CultureInfo.InvariantCulture), error.Metadata["expectedGeneration"]);
        Assert.Equal(current.ToString(CultureInfo.InvariantCulture), error.Metadata["currentGeneration"]);
        Assert.Equal(current, Generation(unchanged));
        Assert.Equal("TASK_STATE_INPUT_REQUIRED", unchanged.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(id, (accepted.TryGetProperty("task", out var t) ? t : accepted).GetProperty("id").GetString());
    }

    [Fact]
    public async Task GuardedMessage_ForANewTask_IgnoresIfGenerationMatch()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));
        var wire = server.Wire.WithVersion("1.1");

        var sent = await wire.SendMessageAsync(A2AWire.SendRequest("hi", configuration: new JsonObject { ["ifGenerationMatch"] = 42 }));

        var task = sent.TryGetProperty("task", out var t) ? t : sent;
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
    }
}
