using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Server;
using Herald.Server.Hosting;
using Herald.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// A Herald app on real Kestrel at 127.0.0.1 on a free port, with an HttpClient pointed at it and
/// helpers that speak JSON-RPC. Stopped and disposed with the test.
/// </summary>
public sealed class HeraldTestServer : IAsyncDisposable
{
    private bool _stopped;

    private HeraldTestServer(WebApplication app, Uri baseAddress, string pattern, TestLoggerProvider logs, WireBinding binding)
    {
        App = app;
        Binding = binding;
        BaseAddress = baseAddress;
        Logs = logs;
        RpcPath = pattern == "/" ? "/" : "/" + pattern.Trim('/');
        Client = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public WebApplication App { get; }

    /// <summary>The binding <see cref="Wire"/> speaks (JSON-RPC unless the test chose another).</summary>
    public WireBinding Binding { get; }

    /// <summary>A driver for <see cref="Binding"/>: every A2A operation over that wire.</summary>
    public A2AWire Wire => field ??= Binding.Connect(this);

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Where MapHerald put the JSON-RPC endpoint.</summary>
    public string RpcPath { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => App.Services;

    public TaskStore Store => Services.GetRequiredService<TaskStore>();

    public IHeraldTasks Tasks => Services.GetRequiredService<IHeraldTasks>();

    public TestLoggerProvider Logs { get; }

    public static async Task<HeraldTestServer> StartAsync(
        Action<IHeraldBuilder> configureAgent,
        Action<HeraldOptions>? configureOptions = null,
        Action<IServiceCollection>? configureServices = null,
        string pattern = "/",
        string urls = "http://127.0.0.1:0",
        WireBinding? binding = null,
        Action<WebApplication>? configureApp = null)
    {
        binding ??= WireBindings.JsonRpc;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls(urls);
        var logs = new TestLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        configureServices?.Invoke(builder.Services);
        configureAgent(builder.Services.AddHerald(configureOptions));

        binding.ConfigureBuilder(builder);
        var app = builder.Build();
        binding.Map(app, pattern);
        configureApp?.Invoke(app);
        await app.StartAsync().Within();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First(); // a binding may add endpoints (gRPC: HTTP/2); the first is HTTP/1.1

        // A server listening on every interface is reached over loopback.
        address = address.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal);
        return new HeraldTestServer(app, new Uri(address.TrimEnd('/') + "/"), pattern, logs, binding);
    }

    /// <summary>A server whose agent is a fresh <see cref="ControlledAgent"/>.</summary>
    public static Task<HeraldTestServer> StartAsync(
        ControlledAgent agent,
        Action<HeraldOptions>? configureOptions = null,
        Action<IServiceCollection>? configureServices = null,
        string pattern = "/",
        WireBinding? binding = null) =>
        StartAsync(h => h.AddAgent(agent), configureOptions, configureServices, pattern, binding: binding);

    /// <summary>Stops the host (graceful shutdown); bounded.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await App.StopAsync().Within();
    }

    // ---- JSON-RPC ----

    public static string Request(string method, JsonNode? parameters = null, JsonNode? id = null)
    {
        // Copies: a node can have only one parent, and tests reuse theirs.
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone() ?? 1, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = parameters.DeepClone();
        }

        return request.ToJsonString();
    }

    /// <summary>SendMessageRequest params with one user text part.</summary>
    public static JsonObject SendParams(string text = "hello", string? taskId = null, string? contextId = null, JsonObject? configuration = null)
    {
        var message = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString("N"),
            ["role"] = "ROLE_USER",
            ["parts"] = new JsonArray(new JsonObject { ["text"] = text }),
        };
        if (taskId is not null)
        {
            message["taskId"] = taskId;
        }

        if (contextId is not null)
        {
            message["contextId"] = contextId;
        }

        var parameters = new JsonObject { ["message"] = message };
        if (configuration is not null)
        {
            parameters["configuration"] = configuration;
        }

        return parameters;
    }

    public HttpRequestMessage NewPost(string body, string? version = "1.0", string? path = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path ?? RpcPath)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("A2A-Version", version);
        }

        return request;
    }

    /// <summary>Posts a raw body and returns the HTTP response (fully read).</summary>
    public async Task<HttpResponseMessage> PostAsync(string body, string? version = "1.0", string? path = null)
    {
        using var request = NewPost(body, version, path);
        return await Client.SendAsync(request).Within();
    }

    /// <summary>Posts a raw body and returns the JSON-RPC response object; asserts a JSON (not SSE) answer with no stack trace.</summary>
    public async Task<JsonElement> PostJsonAsync(string body, string? version = "1.0", string? path = null, HttpStatusCode expectedStatus = HttpStatusCode.OK)
    {
        using var response = await PostAsync(body, version, path);
        return await ReadJsonRpcAsync(response, expectedStatus);
    }

    public Task<JsonElement> CallAsync(string method, JsonNode? parameters = null, JsonNode? id = null) =>
        PostJsonAsync(Request(method, parameters, id));

    /// <summary>Calls and returns <c>result</c>, failing on an error response.</summary>
    public async Task<JsonElement> ResultAsync(string method, JsonNode? parameters = null)
    {
        var response = await CallAsync(method, parameters);
        Assert.False(response.TryGetProperty("error", out var error), $"Unexpected error: {error}");
        return response.GetProperty("result");
    }

    /// <summary>Calls and returns <c>error</c>, asserting its code.</summary>
    public async Task<JsonElement> ErrorAsync(string method, JsonNode? parameters, int expectedCode)
    {
        var response = await CallAsync(method, parameters);
        return AssertError(response, expectedCode);
    }

    public async Task<SseStream> StreamAsync(string method, JsonNode? parameters, JsonNode? id = null, string? lastEventId = null, string? version = "1.0")
    {
        using var request = NewPost(Request(method, parameters, id), version);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return await SseStream.OpenAsync(Client, request);
    }

    public Task<SseStream> SubscribeAsync(string taskId, string? lastEventId = null, JsonNode? id = null) =>
        StreamAsync("SubscribeToTask", new JsonObject { ["id"] = taskId }, id, lastEventId);

    /// <summary>SendMessage with returnImmediately: the task as soon as it exists (the agent keeps running).</summary>
    public async Task<JsonElement> SendImmediatelyAsync(string text = "hello", string? contextId = null)
    {
        var result = await ResultAsync("SendMessage", SendParams(text, contextId: contextId, configuration: new JsonObject { ["returnImmediately"] = true }));
        return result.GetProperty("task");
    }

    /// <summary>Blocking SendMessage: the task once it is terminal or interrupted.</summary>
    public async Task<JsonElement> SendBlockingAsync(string text = "hello", string? contextId = null, string? taskId = null)
    {
        var result = await ResultAsync("SendMessage", SendParams(text, taskId, contextId));
        return result.GetProperty("task");
    }

    public async Task<JsonElement> GetTaskAsync(string taskId, int? historyLength = null)
    {
        var parameters = new JsonObject { ["id"] = taskId };
        if (historyLength is { } n)
        {
            parameters["historyLength"] = n;
        }

        return await ResultAsync("GetTask", parameters);
    }

    public static async Task<JsonElement> ReadJsonRpcAsync(HttpResponseMessage response, HttpStatusCode expectedStatus = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expectedStatus == response.StatusCode, $"HTTP {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        AssertNoInternals(body);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement.Clone();
        Assert.Equal("2.0", root.GetProperty("jsonrpc").GetString());
        return root;
    }

    /// <summary>Asserts a JSON-RPC error response with <paramref name="code"/> and an ErrorInfo detail; returns the error object.</summary>
    public static JsonElement AssertError(JsonElement response, int code)
    {
        Assert.False(response.TryGetProperty("result", out _), $"Expected an error, got {response}");
        var error = response.GetProperty("error");
        Assert.True(code == error.GetProperty("code").GetInt32(), $"Expected {code}, got {error}");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var info = error.GetProperty("data").EnumerateArray().First();
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", info.GetProperty("@type").GetString());
        Assert.Equal("a2a-protocol.org", info.GetProperty("domain").GetString());
        return error;
    }

    /// <summary>Nothing that looks like a .NET stack trace or exception type leaves the server.</summary>
    public static void AssertNoInternals(string body)
    {
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", body, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            if (!_stopped)
            {
                await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>Keeps log entries in memory so tests can check, and wait for, what the server logged.</summary>
public sealed class TestLoggerProvider : ILoggerProvider
{
    private readonly List<(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)> _entries = [];
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>True once an entry matching <paramref name="match"/> has been logged; false if none was within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForAsync(Func<(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception), bool> match, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        while (true)
        {
            Task added;
            lock (_entries)
            {
                if (_entries.Any(match))
                {
                    return true;
                }

                added = _added.Task;
            }

            try
            {
                await added.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(TestLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        // Kestrel reports connection-level decisions (slow clients cut off, limits) at debug level.
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Information || (logLevel == LogLevel.Debug && category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            TaskCompletionSource added;
            lock (owner._entries)
            {
                owner._entries.Add((category, logLevel, eventId, formatter(state, exception), exception));
                added = owner._added;
                owner._added = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            added.TrySetResult();
        }
    }
}
