using Herald.Protocol;
using Herald.Server;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Tests.Engine;

/// <summary>A task engine built the way an application builds it, on a chosen store, with a test clock.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EngineHarness(ServiceProvider services, TestClock clock)
    {
        _services = services;
        Clock = clock;
        Engine = services.GetRequiredService<TaskEngine>();

        // As the host's claim service does: runs recorded in the store (no free slot here, or accepted elsewhere) are claimed.
        Engine.Claimer.Start();
    }

    public TaskEngine Engine { get; }

    public TestClock Clock { get; }

    /// <summary>What the engine logged at warning level or above, for assertion messages.</summary>
    public LogRecorder Logs { get; private init; } = new();

    public TaskStore Store => Engine.Store;

    public IHeraldTasks Tasks => _services.GetRequiredService<IHeraldTasks>();

    public static EngineHarness Create(
        Func<AgentContext, CancellationToken, Task>? agent = null,
        Action<HeraldOptions>? configure = null,
        AgentResponseMode mode = AgentResponseMode.Task,
        Func<TaskStore>? store = null,
        TestClock? clock = null,
        ITaskAccessPolicy? accessPolicy = null,
        bool realTime = false)
    {
        // The store and the engine share the clock: leases expire by the store's clock, which the test moves.
        clock ??= new TestClock();
        var services = new ServiceCollection();
        var logs = new LogRecorder();
        services.AddLogging(b => b.AddProvider(logs));
        var builder = services.AddHerald(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            configure?.Invoke(o);
        });
        if (agent is not null)
        {
            builder.AddAgent(agent, mode);
        }

        if (store is not null)
        {
            builder.UseStore(_ => store());
        }

        services.AddSingleton<TimeProvider>(realTime ? TimeProvider.System : clock);
        if (accessPolicy is not null)
        {
            services.AddSingleton(accessPolicy);
        }

        return new EngineHarness(services.BuildServiceProvider(), clock) { Logs = logs };
    }

    public static SendMessageRequest Request(string text = "hello", string? taskId = null, string? contextId = null, int? historyLength = null) => new()
    {
        Message = Message.UserText(text) with { TaskId = taskId, ContextId = contextId },
        Configuration = historyLength is null ? null : new SendMessageConfiguration { HistoryLength = historyLength },
    };

    public Task<SendResult> SendAsync(SendMessageRequest request, SendMode mode = SendMode.Blocking) =>
        Engine.SendAsync(Caller.Anonymous, request, mode, CancellationToken.None).Within();

    public async Task<AgentTask> SendForTaskAsync(SendMessageRequest request, SendMode mode = SendMode.Blocking)
    {
        var start = await SendAsync(request, mode);
        Assert.Null(start.Reply);
        Assert.NotNull(start.Task);
        return start.Task.Task;
    }

    /// <summary>Reads a stream to its end (bounded) and returns the events it delivered.</summary>
    public static async Task<List<TaskEvent>> DrainAsync(TaskStream stream)
    {
        using var cts = new CancellationTokenSource(Bounded.Timeout);
        var all = new List<TaskEvent>();
        var batch = new List<TaskEvent>();
        while (true)
        {
            batch.Clear();
            var read = await stream.ReadAsync(batch, cts.Token);
            if (read == TaskStreamRead.End)
            {
                return all;
            }

            all.AddRange(batch);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Agents still blocked at the end of a test are canceled, so nothing outlives the test. An agent that ignores
        // its token would keep shutdown waiting on the test clock: move it past the shutdown timeout.
        var shutdown = Engine.ShutdownAsync(CancellationToken.None);
        if (await Task.WhenAny(shutdown, Task.Delay(TimeSpan.FromSeconds(2))) != shutdown)
        {
            Clock.Advance(Engine.Options.ShutdownTimeout);
        }

        await shutdown.Within();
        await _services.DisposeAsync();
    }
}

/// <summary>Keeps warnings and errors the engine logs.</summary>
internal sealed class LogRecorder : Microsoft.Extensions.Logging.ILoggerProvider
{
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogRecorder owner) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
            {
                owner._entries.Add($"{logLevel} {formatter(state, exception)} {exception}");
            }
        }
    }
}
