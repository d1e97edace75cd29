using System.Collections.Concurrent;
using Herald.Client.Bindings;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.Client.Tests;

/// <summary>
/// The extension point for bindings of other assemblies (Herald.Client.Grpc uses it): a factory's interfaces
/// qualify in the card's order and under a pin, and its streams get the client's resumption.
/// </summary>
public sealed class BindingFactoryTests
{
    private static readonly AgentCard Card = new()
    {
        Name = "A",
        Description = "d",
        SupportedInterfaces =
        [
            new AgentInterface { Url = "https://a/custom", ProtocolBinding = "CUSTOM", ProtocolVersion = "1.0" },
            new AgentInterface { Url = "https://a/rpc", ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" },
        ],
    };

    [Fact]
    public void SelectInterface_FactoryForTheCardsFirstBinding_ThatInterface()
    {
        var options = new A2AClientOptions();
        options.Bindings.Add(new FakeFactory());

        Assert.Equal("https://a/custom", AgentCardResolver.SelectInterface(Card, options).Url);
        Assert.Equal("https://a/rpc", AgentCardResolver.SelectInterface(Card, new A2AClientOptions()).Url);
    }

    [Fact]
    public void SelectInterface_PinnedBindingAnyCase_ThatBindingOrARefusalNamingIt()
    {
        var pinned = new A2AClientOptions { ProtocolBinding = "jsonrpc" };
        pinned.Bindings.Add(new FakeFactory());
        var missing = new A2AClientOptions { ProtocolBinding = "custom" };

        Assert.Equal("https://a/rpc", AgentCardResolver.SelectInterface(Card, pinned).Url);
        var error = Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(Card, missing));
        Assert.Contains("custom", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_ExternalStreamBreaksWithIOException_ResumedAfterTheLastId()
    {
        var factory = new FakeFactory();
        var options = new A2AClientOptions { TimeProvider = new RecordingTimeProvider() };
        options.Bindings.Add(factory);
        using var http = new HttpClient();
        var client = A2AClient.Create(http, Card, options);

        var events = await client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = "t" }).CollectWithin();

        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Id));
        Assert.Equal([null, "2"], factory.Binding.Subscriptions);
        Assert.True(events[2].Resumed!.WithLastEventId);
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
    }

    private sealed class FakeFactory : A2ABindingFactory
    {
        public FakeBinding Binding { get; } = new();

        public override string ProtocolBinding => "CUSTOM";

        public override A2ABinding Create(HttpClient httpClient, AgentInterface agentInterface, A2AClientOptions options) => Binding;
    }

    /// <summary>SubscribeToTask: first the snapshot (id 1) and a working status (id 2), then a broken transport; resumed, the completion (id 3).</summary>
    private sealed class FakeBinding : A2ABinding
    {
        public ConcurrentQueue<string?> Subscriptions { get; } = new();

        public override Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken)
        {
            Subscriptions.Enqueue(lastEventId);
            return System.Threading.Tasks.Task.FromResult<A2AEventStream>(lastEventId is null
                ? new FakeStream([(Snapshot(TaskState.Submitted), "1"), (Status(TaskState.Working), "2")], breaks: true)
                : new FakeStream([(Status(TaskState.Completed), "3")], breaks: false));
        }

        public override Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        private static StreamResponse Snapshot(TaskState state) => new() { Task = new AgentTask { Id = "t", ContextId = "c", Status = new AgentTaskStatus { State = state } } };

        private static StreamResponse Status(TaskState state) => new() { StatusUpdate = new TaskStatusUpdateEvent { TaskId = "t", ContextId = "c", Status = new AgentTaskStatus { State = state } } };
    }

    private sealed class FakeStream((StreamResponse Item, string Id)[] items, bool breaks) : A2AEventStream
    {
        private int _index = -1;

        public override StreamResponse Current => items[_index].Item;

        public override string? CurrentEventId => items[_index].Id;

        public override ValueTask<bool> MoveNextAsync()
        {
            _index++;
            if (_index < items.Length)
            {
                return ValueTask.FromResult(true);
            }

            return breaks ? ValueTask.FromException<bool>(new IOException("connection reset")) : ValueTask.FromResult(false);
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
