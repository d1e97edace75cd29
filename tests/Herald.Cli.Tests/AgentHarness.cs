using Herald.Protocol;
using Herald.Server;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Cli.Tests;

/// <summary>One agent behind the real task engine (in-memory store), driven the way the bindings drive it.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly ServiceProvider _services;

    public AgentHarness(IAgent agent, TimeProvider? time = null, AgentResponseMode mode = AgentResponseMode.Task)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddHerald().AddAgent(agent, mode);
        _services = services.BuildServiceProvider();
        Engine = _services.GetRequiredService<TaskEngine>();
    }

    public TaskEngine Engine { get; }

    public static SendMessageRequest Request(string text) => new() { Message = Message.UserText(text) };

    /// <summary>Sends as SendStreamingMessage does: returns the task as created; the caller reads the events after it.</summary>
    public async Task<TaskSnapshot> StartStreamAsync(string text)
    {
        var start = await Engine.SendAsync(Caller.Anonymous, Request(text), SendMode.Streaming, CancellationToken.None).WaitAsync(Timeout);
        Assert.Null(start.Reply);
        return Assert.IsType<TaskSnapshot>(start.Task);
    }

    /// <summary>The streamed events (status and artifact updates) of a task after <paramref name="after"/>, up to its terminal one.</summary>
    public async Task<List<TaskEvent>> ReadToEndAsync(TaskSnapshot after)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var events = new List<TaskEvent>();
        await foreach (var e in Engine.SubscribeAsync(after.Task.Id, after.Sequence, stopAtInterrupt: true, timeout.Token))
        {
            if (e.IsStreamed)
            {
                events.Add(e);
            }
        }

        return events;
    }

    public async Task<List<TaskEvent>> StreamAsync(string text) => await ReadToEndAsync(await StartStreamAsync(text));

    public async ValueTask DisposeAsync()
    {
        await Engine.ShutdownAsync(CancellationToken.None).WaitAsync(Timeout);
        await _services.DisposeAsync();
    }
}

internal static class TaskEventAssertions
{
    public static TaskStatusUpdateEvent Status(this TaskEvent e) => Assert.IsType<TaskStatusUpdateEvent>(e.StatusUpdate);

    public static TaskArtifactUpdateEvent Artifact(this TaskEvent e) => Assert.IsType<TaskArtifactUpdateEvent>(e.ArtifactUpdate);

    public static string Text(this TaskArtifactUpdateEvent update) => string.Concat(update.Artifact.Parts.Select(p => p.Text));

    public static string? StatusText(this TaskEvent e) => e.Status().Status.Message?.GetText();
}
