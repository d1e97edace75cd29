using Grpc.Core;
using Herald.Grpc.Tests.Infrastructure;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests;

/// <summary>
/// The gRPC server streams, on the wire: the same order, ids and end rules as the SSE streams
/// (tests/Herald.AspNetCore.Tests/SubscribeToTaskTests.cs), and resumption with <c>last-event-id</c>.
/// </summary>
public sealed class GrpcStreamingTests
{
    [Fact]
    public async Task SendStreamingMessage_TaskLifecycle_TaskThenUpdatesInLogOrderThenEndsWithOk()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        await using var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.WithIds);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync("thinking");
        await run.ArtifactAsync("a");
        await run.ArtifactAsync("b", append: true, lastChunk: true);
        await run.CompleteAsync("done");
        var items = await stream.ReadToEndAsync();

        Assert.Equal(
            [P.StreamResponse.PayloadOneofCase.Task, P.StreamResponse.PayloadOneofCase.StatusUpdate, P.StreamResponse.PayloadOneofCase.ArtifactUpdate,
             P.StreamResponse.PayloadOneofCase.ArtifactUpdate, P.StreamResponse.PayloadOneofCase.StatusUpdate],
            items.Select(i => i.Kind));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], items.Select(i => i.Sequence));
        Assert.Equal(run.TaskId, items[0].Message.Task.Id);
        Assert.Equal(P.TaskState.Working, items[1].State);
        Assert.Equal("thinking", items[1].Message.StatusUpdate.Status.Message.Parts[0].Text);
        Assert.Equal(["a", "b"], items.Where(i => i.Kind == P.StreamResponse.PayloadOneofCase.ArtifactUpdate).Select(i => i.Text));
        Assert.False(items[2].Message.ArtifactUpdate.Append);
        Assert.True(items[3].Message.ArtifactUpdate.Append);
        Assert.True(items[3].Message.ArtifactUpdate.LastChunk);
        Assert.Equal(P.TaskState.Completed, items[^1].State);
    }

    [Fact]
    public async Task SendStreamingMessage_ActivatedByTheUriTheCardDeclares_ItemsCarryIdsUnderIt()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        using var card = System.Text.Json.JsonDocument.Parse(await server.Http.GetStringAsync(new Uri(server.BaseAddress, ".well-known/agent-card.json")));
        var declared = Assert.Single(card.RootElement.GetProperty("capabilities").GetProperty("extensions").EnumerateArray()).GetProperty("uri").GetString()!;
        await using var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text(), new Metadata { { "a2a-version", "1.0" }, { "a2a-extensions", declared } });
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("a");
        await run.CompleteAsync();
        var items = await stream.ReadToEndAsync();

        Assert.Equal([1L, 2L, 3L], items.Select(i => i.Sequence));
        Assert.Equal("2", items[1].Message.ArtifactUpdate.Metadata.Fields[declared].StructValue.Fields["eventId"].StringValue);
    }

    [Fact]
    public async Task SendStreamingMessage_WithoutTheExtension_ItemsCarryNoIdAndNoMetadata()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        await using var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.V1);
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("a");
        await run.CompleteAsync();
        var items = await stream.ReadToEndAsync();

        Assert.Equal(3, items.Count);
        Assert.All(items, i => Assert.Null(i.Id));
        Assert.Null(items[0].Message.Task.Metadata);
        Assert.Null(items[1].Message.ArtifactUpdate.Metadata);
        Assert.Null(items[2].Message.StatusUpdate.Metadata);
    }

    [Fact]
    public async Task SendStreamingMessage_AgentMetadata_KeptBesideTheEventId()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        await using var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.WithIds);
        var run = await agent.NextRunAsync();
        await run.Do((c, ct) => c.AddArtifactAsync(new Artifact { ArtifactId = "out", Parts = [Part.FromText("x")] }, cancellationToken: ct));
        using var doc = System.Text.Json.JsonDocument.Parse("{\"source\":\"test\"}");
        await server.Services.GetRequiredService<Herald.Server.IHeraldTasks>().AddArtifactAsync(run.TaskId,
            new Artifact { ArtifactId = "out", Parts = [Part.FromText("y")], Metadata = new() { ["k"] = doc.RootElement.Clone() } }, append: true);
        await run.CompleteAsync();
        var items = await stream.ReadToEndAsync();

        var withMetadata = Assert.Single(items, i => i.Text == "y");
        Assert.Equal(items.IndexOf(withMetadata) + 1L, withMetadata.Sequence);
        Assert.Equal("test", withMetadata.Message.ArtifactUpdate.Artifact.Metadata.Fields["k"].StructValue.Fields["source"].StringValue);
        Assert.Single(withMetadata.Message.ArtifactUpdate.Metadata.Fields); // the id entry only: artifact metadata stays on the artifact
    }

    [Fact]
    public async Task SubscribeToTask_RunningTask_SnapshotFirstWithItsSequenceThenLiveEvents()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        var task = (await server.Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("so far");

        await using var stream = server.Raw.SubscribeToTask(task.Id);
        var snapshot = await stream.NextAsync();
        await run.ArtifactAsync("more", append: true);
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        Assert.Equal(P.StreamResponse.PayloadOneofCase.Task, snapshot.Kind);
        Assert.Equal(3L, snapshot.Sequence);
        Assert.Equal(P.TaskState.Working, snapshot.State);
        Assert.Equal("so far", snapshot.Message.Task.Artifacts[0].Parts[0].Text);
        Assert.Equal([4L, 5L], rest.Select(i => i.Sequence));
        Assert.Equal(P.TaskState.Completed, rest[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdMidStream_ExactlyTheEventsAfterItThenTheLiveTail()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        var first = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.WithIds);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();                   // 2
        await run.ArtifactAsync("a");               // 3
        await run.ArtifactAsync("b", append: true); // 4
        var seen = await first.NextAsync(3);
        await first.DisposeAsync();                 // the call is cancelled after event 3

        await run.ArtifactAsync("c", append: true); // 5, while the client is away
        await using var resumed = server.Raw.SubscribeToTask(run.TaskId, lastEventId: "3");
        var missed = await resumed.NextAsync(2);
        await run.ArtifactAsync("d", append: true); // 6, live
        await run.CompleteAsync();                  // 7
        var tail = await resumed.ReadToEndAsync();

        Assert.Equal(["1", "2", "3"], seen.Select(i => i.Id));
        Assert.Equal([4L, 5L], missed.Select(i => i.Sequence));
        Assert.Equal(["b", "c"], missed.Select(i => i.Text));
        Assert.Equal([6L, 7L], tail.Select(i => i.Sequence));
        Assert.DoesNotContain(missed.Concat(tail), i => i.Kind == P.StreamResponse.PayloadOneofCase.Task); // no snapshot on resume
        Assert.Equal(P.TaskState.Completed, tail[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdIsTheLatestEvent_HeadersArriveBeforeTheNextEvent()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        var task = (await server.Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync(); // 2, the latest event

        await using var resumed = server.Raw.SubscribeToTask(task.Id, lastEventId: "2");
        await resumed.HeadersAsync(); // nothing new has been appended: only the headers can have come
        await run.CompleteAsync();
        var events = await resumed.ReadToEndAsync();

        Assert.Equal([3L], events.Select(i => i.Sequence));
    }

    [Fact]
    public async Task SubscribeToTask_TaskFinishedWhileAway_ReplaysUpToTheTerminalEventThenEnds()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        var first = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.WithIds);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await first.NextAsync(2);
        await first.DisposeAsync();
        await run.ArtifactAsync("x");
        await run.ArtifactAsync("y", append: true, lastChunk: true);
        await run.CompleteAsync();

        await using var resumed = server.Raw.SubscribeToTask(run.TaskId, lastEventId: "2");
        var replayed = await resumed.ReadToEndAsync();

        Assert.Equal([3L, 4L, 5L], replayed.Select(i => i.Sequence));
        Assert.Equal(P.TaskState.Completed, replayed[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdOfTheTerminalEvent_EmptyStreamEndsAtOnce()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        var task = (await server.Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        var run = await agent.NextRunAsync();
        await run.CompleteAsync(); // 2

        await using var resumed = server.Raw.SubscribeToTask(task.Id, lastEventId: "2");

        Assert.Empty(await resumed.ReadToEndAsync());
    }

    [Fact]
    public async Task SubscribeToTask_ThreeSubscribers_ReceiveIdenticalMessages()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        var task = (await server.Raw.SendMessageAsync(RawA2AClient.Text(returnImmediately: true))).Task;
        var run = await agent.NextRunAsync();
        var streams = new[] { server.Raw.SubscribeToTask(task.Id), server.Raw.SubscribeToTask(task.Id), server.Raw.SubscribeToTask(task.Id) };
        var firsts = new List<RawItem>();
        foreach (var s in streams)
        {
            firsts.Add(await s.NextAsync());
        }

        await run.WorkingAsync();
        for (var i = 0; i < 40; i++)
        {
            await run.ArtifactAsync($"chunk {i}", append: i > 0);
        }

        await run.CompleteAsync();
        var rests = new List<List<RawItem>>();
        foreach (var s in streams)
        {
            rests.Add(await s.ReadToEndAsync());
            await s.DisposeAsync();
        }

        Assert.All(firsts, f => Assert.Equal(firsts[0].Message, f.Message));
        Assert.Equal(42, rests[0].Count);
        Assert.Equal(Enumerable.Range(2, 42).Select(i => (long)i), rests[0].Select(i => i.Sequence));
        Assert.All(rests, r => Assert.Equal(rests[0].Select(i => i.Message), r.Select(i => i.Message)));
    }

    [Fact]
    public async Task SendStreamingMessage_DirectReply_OneMessageThenEnds()
    {
        await using var server = await GrpcTestServer.StartAsync(
            h => h.AddAgent((c, ct) => c.ReplyAsync("pong", ct).AsTask(), Herald.Server.Agents.AgentResponseMode.MessageOrTask));
        await using var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text("ping"), RawA2AClient.WithIds);

        var items = await stream.ReadToEndAsync();

        var reply = Assert.Single(items);
        Assert.Equal(P.StreamResponse.PayloadOneofCase.Message, reply.Kind);
        Assert.Equal("pong", reply.Message.Message.Parts[0].Text);
        Assert.Null(reply.Id);
    }

    [Fact]
    public async Task SendStreamingMessage_InputRequired_StreamEndsAtTheInterruption()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        await using var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.WithIds);
        var run = await agent.NextRunAsync();
        await run.Do((c, ct) => c.RequireInputAsync("more?", ct));

        var items = await stream.ReadToEndAsync();

        Assert.Equal(P.TaskState.InputRequired, items[^1].State);
    }

    [Fact]
    public async Task CancelTask_RunningTask_CanceledTaskAndTheStreamEndsWithTheCanceledStatus()
    {
        var agent = new ControlledAgent();
        await using var server = await GrpcTestServer.StartAsync(agent);
        await using var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.WithIds);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await stream.NextAsync(2);

        var canceled = await server.Raw.CancelTaskAsync(run.TaskId);
        var rest = await stream.ReadToEndAsync();

        Assert.Equal(P.TaskState.Canceled, canceled.Status.State);
        Assert.Equal(P.TaskState.Canceled, Assert.Single(rest).State);
        await run.Canceled.Within();
    }

    [Fact]
    public async Task SubscribeToTask_ServerShutsDown_StreamEndsAfterTheFinalEvent()
    {
        var agent = new ControlledAgent();
        var server = await GrpcTestServer.StartAsync(agent);
        await using (server)
        {
            var stream = server.Raw.SendStreamingMessage(RawA2AClient.Text(), RawA2AClient.WithIds);
            var run = await agent.NextRunAsync();
            await run.WorkingAsync();
            await stream.NextAsync(2);

            var stopping = server.StopAsync();
            var rest = await stream.ReadToEndAsync();
            await stopping;
            await stream.DisposeAsync();

            // Shutdown cancels the agent; its canceled (or failed) status is the stream's last item.
            Assert.True(rest.Count >= 1);
            Assert.True(rest[^1].State is P.TaskState.Canceled or P.TaskState.Failed, $"last state {rest[^1].State}");
        }
    }
}
