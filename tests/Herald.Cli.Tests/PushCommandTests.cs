using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Cli.Tests;

/// <summary>
/// <c>herald push create|list|get|delete</c>: arguments, what goes on the wire (to a JSON-RPC v1.0 agent that records
/// each call and answers it), and what is printed (never the token or credentials in text output).
/// </summary>
public sealed class PushCommandTests : IAsyncLifetime
{
    private WebApplication? _app;
    private string _url = "";
    private readonly ConcurrentQueue<(string Method, JsonObject Params)> _calls = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/.well-known/agent-card.json", () => Results.Text($$"""
            {"name":"push fake","description":"records push config calls","version":"1",
             "supportedInterfaces":[{"url":"{{_url}}","protocolBinding":"JSONRPC","protocolVersion":"1.0"}],
             "capabilities":{"pushNotifications":true},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"skills":[]}
            """, "application/json"));
        _app.MapPost("/", async (HttpContext context) =>
        {
            var request = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
            var method = request["method"]!.GetValue<string>();
            var parameters = request["params"]!.AsObject();
            _calls.Enqueue((method, parameters));
            JsonNode result = method switch
            {
                "CreateTaskPushNotificationConfig" => Stored(parameters, parameters["id"]?.GetValue<string>() ?? "cfg-new"),
                "GetTaskPushNotificationConfig" => Stored(new JsonObject { ["taskId"] = parameters["taskId"]!.GetValue<string>(), ["url"] = "https://hooks.example/in", ["token"] = "tok-secret" }, parameters["id"]!.GetValue<string>()),
                "ListTaskPushNotificationConfigs" => new JsonObject
                {
                    ["configs"] = new JsonArray(
                        Stored(new JsonObject { ["taskId"] = parameters["taskId"]!.GetValue<string>(), ["url"] = "https://hooks.example/a" }, "cfg-a"),
                        Stored(new JsonObject { ["taskId"] = parameters["taskId"]!.GetValue<string>(), ["url"] = "https://hooks.example/b", ["authentication"] = new JsonObject { ["scheme"] = "Bearer", ["credentials"] = "cred-secret" } }, "cfg-b")),
                },
                _ => new JsonObject(),
            };
            return Results.Text(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = request["id"]!.DeepClone(), ["result"] = result }.ToJsonString(), "application/json");
        });
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
    }

    public async Task DisposeAsync() => await _app!.DisposeAsync();

    [Fact]
    public async Task PushCreate_AllOptions_SendsTheConfigAndPrintsItWithoutSecrets()
    {
        var run = await CliRun.RunAsync("push", "create", _url, "task-1", "https://hooks.example/in", "--id", "cfg-1",
            "--token", "tok-secret", "--auth-scheme", "Bearer", "--auth-credentials", "cred-secret");

        Assert.True(run.ExitCode == 0, run.Error);
        var (method, parameters) = Assert.Single(_calls);
        Assert.Equal("CreateTaskPushNotificationConfig", method);
        Assert.Equal("task-1", parameters["taskId"]!.GetValue<string>());
        Assert.Equal("cfg-1", parameters["id"]!.GetValue<string>());
        Assert.Equal("https://hooks.example/in", parameters["url"]!.GetValue<string>());
        Assert.Equal("tok-secret", parameters["token"]!.GetValue<string>());
        Assert.Equal("Bearer", parameters["authentication"]!["scheme"]!.GetValue<string>());
        Assert.Equal("cred-secret", parameters["authentication"]!["credentials"]!.GetValue<string>());
        Assert.Equal(["config cfg-1 task task-1 url https://hooks.example/in token set auth Bearer (credentials set)"], run.Lines);
        Assert.DoesNotContain("secret", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushCreate_Json_PrintsTheStoredConfig()
    {
        var run = await CliRun.RunAsync("push", "create", _url, "task-1", "http://127.0.0.1:5079/hook", "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var config = Assert.Single(run.JsonLines);
        Assert.Equal("cfg-new", config.GetProperty("id").GetString());
        Assert.Equal("http://127.0.0.1:5079/hook", config.GetProperty("url").GetString());
        Assert.False(Assert.Single(_calls).Params.ContainsKey("authentication"));
    }

    [Fact]
    public async Task PushList_PrintsOneLinePerConfig()
    {
        var run = await CliRun.RunAsync("push", "list", _url, "task-1");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("ListTaskPushNotificationConfigs", Assert.Single(_calls).Method);
        Assert.Equal(
            ["config cfg-a task task-1 url https://hooks.example/a", "config cfg-b task task-1 url https://hooks.example/b auth Bearer (credentials set)"],
            run.Lines);
    }

    [Fact]
    public async Task PushGet_SendsTaskAndConfigIds()
    {
        var run = await CliRun.RunAsync("push", "get", _url, "task-1", "cfg-9");

        Assert.True(run.ExitCode == 0, run.Error);
        var (method, parameters) = Assert.Single(_calls);
        Assert.Equal("GetTaskPushNotificationConfig", method);
        Assert.Equal("cfg-9", parameters["id"]!.GetValue<string>());
        Assert.Equal(["config cfg-9 task task-1 url https://hooks.example/in token set"], run.Lines);
    }

    [Fact]
    public async Task PushDelete_SendsTaskAndConfigIdsAndSaysSo()
    {
        var run = await CliRun.RunAsync("push", "delete", _url, "task-1", "cfg-9");

        Assert.True(run.ExitCode == 0, run.Error);
        var (method, parameters) = Assert.Single(_calls);
        Assert.Equal("DeleteTaskPushNotificationConfig", method);
        Assert.Equal("task-1", parameters["taskId"]!.GetValue<string>());
        Assert.Equal("cfg-9", parameters["id"]!.GetValue<string>());
        Assert.Equal(["deleted config cfg-9 of task task-1"], run.Lines);
    }

    [Theory]
    [InlineData("not-a-url", "WEBHOOK 'not-a-url' is not an absolute http or https URL")]
    [InlineData("ftp://hooks.example/", "is not an absolute http or https URL")]
    public async Task PushCreate_WebhookNotHttp_RefusedBeforeAnyCall(string webhook, string error)
    {
        var run = await CliRun.RunAsync("push", "create", _url, "task-1", webhook);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(error, run.Error, StringComparison.Ordinal);
        Assert.Empty(_calls);
    }

    [Fact]
    public async Task PushCreate_CredentialsWithoutScheme_RefusedBeforeAnyCall()
    {
        var run = await CliRun.RunAsync("push", "create", _url, "task-1", "https://hooks.example/in", "--auth-credentials", "x");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--auth-credentials needs --auth-scheme", run.Error, StringComparison.Ordinal);
        Assert.Empty(_calls);
    }

    [Fact]
    public async Task PushGet_MissingConfigId_Refused()
    {
        var run = await CliRun.RunAsync("push", "get", _url, "task-1");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Empty(_calls);
    }

    private static JsonObject Stored(JsonObject config, string id)
    {
        var copy = config.DeepClone().AsObject();
        copy["id"] = id;
        return copy;
    }
}
