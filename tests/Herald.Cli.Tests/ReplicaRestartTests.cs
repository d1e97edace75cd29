using System.Diagnostics;

namespace Herald.Cli.Tests;

/// <summary>Tests that stop and start the test process's PostgreSQL cluster: they run alone, after every parallel test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresRestartCollection
{
    public const string Name = "PostgreSQL restarted";
}

/// <summary>PostgreSQL restarted under three <c>herald serve</c> replicas while a task streams across them.</summary>
[Collection(PostgresRestartCollection.Name)]
public sealed class ReplicaRestartTests
{
    [PostgresFact]
    public async Task PostgresRestartedMidStream_StreamOnBKeepsAliveThenGoesOnWithNothingLostOrDoubled()
    {
        // A lease longer than the outage: the runner renews it once the database is back (an outage longer than the
        // lease lets the first maintenance sweep after it fail the task, as for a runner that died).
        await using var replicas = await Replicas.StartAsync(3, ["--agent", "chunks", "--runner-lease", "20s", "--keep-alive", "500ms"]);
        var (a, b) = (replicas[0], replicas[1]);
        using var http = new HttpClient { Timeout = ReplicaTests.Timeout };
        var clock = Stopwatch.StartNew();

        await using var streamA = await ReplicaTests.Open(http, ReplicaTests.Rpc(a.BaseAddress, "SendStreamingMessage", ReplicaTests.Message("40 delay=100")), clock);
        Assert.True(await streamA.WaitAsync(s => s.Events.Count >= 2, ReplicaTests.Timeout), streamA.RawTail);
        var taskId = streamA.Events[0].Json.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
        using var subscribe = ReplicaTests.Rpc(b.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}""");
        subscribe.Headers.Add("Last-Event-ID", "0");
        await using var streamB = await ReplicaTests.Open(http, subscribe, clock);
        Assert.True(await streamB.WaitAsync(s => s.Events.Count >= 5, ReplicaTests.Timeout), streamB.RawTail);

        // The database goes away: B's stream stays open and shows life with keep-alives meanwhile.
        var server = PostgresServer.Shared;
        await server.StopAsync();
        var restarted = false;
        try
        {
            var keepAlives = streamB.KeepAlives;
            Assert.True(await streamB.WaitAsync(s => s.KeepAlives >= keepAlives + 2, ReplicaTests.Timeout), $"no keep-alives while the database was down:\n{streamB.RawTail}");
            Assert.Null(streamB.EndedAt);
            await server.StartAgainAsync();
            restarted = true;
        }
        finally
        {
            if (!restarted)
            {
                await server.StartAgainAsync();
            }
        }

        // It comes back: the stream goes on from where it was and ends completed, every event once.
        Assert.True(await streamB.WaitForEndAsync(ReplicaTests.Timeout), $"B's stream did not end after the database returned:\n{streamB.RawTail}\n{b.StandardErrorTail}");
        Assert.Null(streamB.Failure);
        var events = streamB.Events;
        // Event 1 is the task's creation, which a stream carries only as the Task it starts with: after 0 come 2, 3, ...
        Assert.Equal(Enumerable.Range(2, events.Count).Select(i => (long)i), events.Select(e => e.Sequence!.Value));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
        Assert.Equal(1, events.Count(e => e.IsTerminal));
        Assert.Equal(string.Concat(Enumerable.Range(1, 40).Select(i => $"chunk {i} of 40\n")), ReplicaTests.FoldText(events));

        // So did A's own stream, the sender's.
        Assert.True(await streamA.WaitForEndAsync(ReplicaTests.Timeout), streamA.RawTail);
        Assert.Null(streamA.Failure);
        Assert.Equal(Enumerable.Range(1, streamA.Events.Count).Select(i => (long)i), streamA.Events.Select(e => e.Sequence!.Value));
        Assert.Equal(events[^1].Sequence, streamA.Events[^1].Sequence);

        // Every replica serves the task again, the same.
        foreach (var replica in replicas)
        {
            var task = await ReplicaTests.GetTaskAsync(http, replica, taskId);
            Assert.Equal("TASK_STATE_COMPLETED", ReplicaTests.State(task));
            Assert.Equal(ReplicaTests.FoldText(events), ReplicaTests.ArtifactText(task));
        }

        replicas.AssertNoneExited();
    }
}
