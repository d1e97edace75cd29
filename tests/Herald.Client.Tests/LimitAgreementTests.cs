using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.Client.Tests;

/// <summary>Herald's client accepts everything a Herald server sends with both sides on their default limits.</summary>
public sealed class LimitAgreementTests(HeraldServer server) : IClassFixture<HeraldServer>
{
    [Fact]
    public async Task DefaultLimits_EventsNearTheServersEventLimitAndAResponseNearItsResponseLimit_AreAccepted()
    {
        using var http = new HttpClient();
        var client = await A2AClient.ConnectAsync(http, server.AgentUrl);
        const int Near = (4 * 1024 * 1024) - 4096; // the server refuses events above 4 MiB of JSON

        var events = await client.SendStreamingMessageAsync(new SendMessageRequest { Message = Message.UserText($"big:{Near} big:{Near} big:{Near} big:{Near - 200_000}") }).CollectWithin();
        var taskId = events[0].Task!.Id;
        var task = await client.GetTaskAsync(new GetTaskRequest { Id = taskId }).Within(); // ~16 MB: just under the server's response limit

        Assert.Equal(4, events.Count(e => e.ArtifactUpdate is not null));
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
        Assert.Equal((4 * Near) - 200_000, task.Artifacts![0].Parts.Sum(p => p.Text!.Length));
    }

    [Fact]
    public async Task DefaultLimits_SubscribeToALargeRunningTask_TheSnapshotEventIsAccepted()
    {
        // The first event of SubscribeToTask is the whole task: 12 MB here, far above one event's 4 MiB.
        using var http = new HttpClient();
        var client = await A2AClient.ConnectAsync(http, server.AgentUrl);
        var gate = Gates.NewKey();
        const int Chunk = 4_000_000;
        var started = await client.SendMessageAsync(new SendMessageRequest
        {
            Message = Message.UserText($"big:{Chunk} big:{Chunk} big:{Chunk} wait:{gate}"),
            Configuration = new SendMessageConfiguration { ReturnImmediately = true },
        }).Within();
        var taskId = started.Task!.Id;
        AgentTask? snapshot = null;
        for (var attempt = 0; attempt < 100 && snapshot?.Artifacts is not [{ Parts.Count: 3 }]; attempt++)
        {
            snapshot = await client.GetTaskAsync(new GetTaskRequest { Id = taskId }).Within(); // until the three chunks are in
        }

        using var limit = Bounded.Token();
        await using var subscription = client.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = taskId }, cancellationToken: limit.Token).GetAsyncEnumerator(limit.Token);
        Assert.True(await subscription.MoveNextAsync());
        var first = subscription.Current;
        Gates.Open(gate);
        StreamResponse last = first;
        while (await subscription.MoveNextAsync())
        {
            last = subscription.Current;
        }

        Assert.Equal(3 * Chunk, first.Task!.Artifacts![0].Parts.Sum(p => p.Text!.Length));
        Assert.Equal(TaskState.Completed, last.StatusUpdate!.Status.State);
    }
}
