using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Server.Tests.Engine;

/// <summary>A task engine built the way an application builds it, with a manual clock.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EngineHarness(ServiceProvider services, ManualClock clock)
    {
        _services = services;
        Clock = clock;
        Engine = services.GetRequiredService<TaskEngine>();
    }

    public TaskEngine Engine { get; }

    public ManualClock Clock { get; }

    public TaskStore Store => Engine.Store;

    public IHeraldTasks Tasks => _services.GetRequiredService<IHeraldTasks>();

    public static EngineHarness Create(Func<AgentContext, CancellationToken, Task>? agent = null, Action<HeraldOptions>? configure = null)
    {
        var clock = new ManualClock();
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddHerald(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            configure?.Invoke(o);
        });
        if (agent is not null)
        {
            builder.AddAgent(agent);
        }

        services.AddSingleton<TimeProvider>(clock);
        return new EngineHarness(services.BuildServiceProvider(), clock);
    }

    public static SendMessageRequest Request(string text = "hello", string? taskId = null, string? contextId = null, int? historyLength = null) => new()
    {
        Message = Message.UserText(text) with { TaskId = taskId, ContextId = contextId },
        Configuration = historyLength is null ? null : new SendMessageConfiguration { HistoryLength = historyLength },
    };

    public Task<RunStart> SendAsync(SendMessageRequest request, SendMode mode = SendMode.Blocking) =>
        Engine.SendAsync(request, mode, CancellationToken.None).Within();

    public async Task<AgentTask> SendForTaskAsync(SendMessageRequest request, SendMode mode = SendMode.Blocking)
    {
        var start = await SendAsync(request, mode);
        Assert.Null(start.Reply);
        Assert.NotNull(start.Task);
        return start.Task.Task;
    }

    public async ValueTask DisposeAsync()
    {
        // Agents still blocked at the end of a test are canceled, so nothing outlives the test.
        await Engine.ShutdownAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}
