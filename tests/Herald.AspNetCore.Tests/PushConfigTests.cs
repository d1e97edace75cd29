using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Testing;
using Herald.Testing.EndToEnd;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// Push-notification configurations on every HTTP binding and dialect: created (also inline with a message), read, listed
/// and deleted; checked before they are kept; scoped to the task's owner like every task operation; advertised on the card.
/// </summary>
public sealed class PushConfigTests : IAsyncLifetime
{
    private static readonly string Alice = TestAuthenticationHandler.Header("alice");
    private static readonly string Bob = TestAuthenticationHandler.Header("bob");

    private HeraldTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(
            h => h.AddAgent((context, ct) => context.RequireInputAsync("more?", ct).AsTask()),
            o =>
            {
                o.PushNotifications = true;
                o.MaxPushConfigsPerTask = 3;
                o.WebhookAllow = ["127.0.0.1"]; // no DNS in tests: webhooks on a loopback literal, admitted
            },
            TestAuthenticationHandler.AddTestAuthentication);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject Config(string taskId, string? id = null, string url = "http://127.0.0.1:9/a2a") => new()
    {
        ["taskId"] = taskId,
        ["id"] = id,
        ["url"] = url,
        ["token"] = "tok-1",
        ["authentication"] = new JsonObject { ["scheme"] = "Bearer", ["credentials"] = "cred-1" },
    };

    [Fact]
    public async Task Card_AdvertisesPushNotifications()
    {
        var card = JsonDocument.Parse(await _server.Client.GetStringAsync(".well-known/agent-card.json")).RootElement;

        Assert.True(card.GetProperty("capabilities").GetProperty("pushNotifications").GetBoolean());
    }

    [Fact]
    public async Task JsonRpcV1_CreateGetListDelete()
    {
        var taskId = await NewTaskAsync(Alice);

        var created = await ResultAsync(Alice, "CreateTaskPushNotificationConfig", Config(taskId), "1.0");
        var configId = created.GetProperty("id").GetString()!;
        var got = await ResultAsync(Alice, "GetTaskPushNotificationConfig", new JsonObject { ["taskId"] = taskId, ["id"] = configId }, "1.0");
        var listed = await ResultAsync(Alice, "ListTaskPushNotificationConfigs", new JsonObject { ["taskId"] = taskId }, "1.0");
        var deleted = await ResultAsync(Alice, "DeleteTaskPushNotificationConfig", new JsonObject { ["taskId"] = taskId, ["id"] = configId }, "1.0");
        var gone = await ErrorAsync(Alice, "GetTaskPushNotificationConfig", new JsonObject { ["taskId"] = taskId, ["id"] = configId }, "1.0");

        Assert.False(string.IsNullOrEmpty(configId));
        Assert.Equal(taskId, created.GetProperty("taskId").GetString());
        Assert.Equal("http://127.0.0.1:9/a2a", got.GetProperty("url").GetString());
        Assert.Equal("Bearer", got.GetProperty("authentication").GetProperty("scheme").GetString());
        Assert.Equal(configId, Assert.Single(listed.GetProperty("configs").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Object, deleted.ValueKind);
        Assert.Equal(A2AErrorCodes.TaskNotFound, gone.GetProperty("code").GetInt32());
        Assert.Empty(await _server.Store.ListPushConfigsAsync(taskId));
    }

    [Fact]
    public async Task JsonRpcV03_SetGetListDelete()
    {
        var taskId = await NewTaskAsync(Alice);
        var set = new JsonObject
        {
            ["taskId"] = taskId,
            ["pushNotificationConfig"] = new JsonObject { ["id"] = "hook-1", ["url"] = "http://127.0.0.1:9/v03", ["authentication"] = new JsonObject { ["schemes"] = new JsonArray("Bearer"), ["credentials"] = "c" } },
        };

        var created = await ResultAsync(Alice, "tasks/pushNotificationConfig/set", set, null);
        var byId = await ResultAsync(Alice, "tasks/pushNotificationConfig/get", new JsonObject { ["id"] = taskId, ["pushNotificationConfigId"] = "hook-1" }, null);
        var first = await ResultAsync(Alice, "tasks/pushNotificationConfig/get", new JsonObject { ["id"] = taskId }, null);
        var listed = await ResultAsync(Alice, "tasks/pushNotificationConfig/list", new JsonObject { ["id"] = taskId }, null);
        var deleted = await ResultAsync(Alice, "tasks/pushNotificationConfig/delete", new JsonObject { ["id"] = taskId, ["pushNotificationConfigId"] = "hook-1" }, null);

        Assert.Equal(taskId, created.GetProperty("taskId").GetString());
        Assert.Equal("hook-1", created.GetProperty("pushNotificationConfig").GetProperty("id").GetString());
        Assert.Equal("http://127.0.0.1:9/v03", byId.GetProperty("pushNotificationConfig").GetProperty("url").GetString());
        Assert.Equal("Bearer", byId.GetProperty("pushNotificationConfig").GetProperty("authentication").GetProperty("schemes")[0].GetString());
        Assert.Equal("hook-1", first.GetProperty("pushNotificationConfig").GetProperty("id").GetString());
        Assert.Equal("hook-1", Assert.Single(listed.EnumerateArray()).GetProperty("pushNotificationConfig").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, deleted.ValueKind);
        Assert.Empty(await _server.Store.ListPushConfigsAsync(taskId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/acme")]
    public async Task Rest_CreateGetListDelete(string tenant)
    {
        var send = await SendAsync(Alice, HttpMethod.Post, tenant + "/message:send", new JsonObject { ["message"] = HeraldTestServer.SendParams("hi")["message"]!.DeepClone() }.ToJsonString());
        var taskId = send.Body.GetProperty("task").GetProperty("id").GetString()!;
        var path = $"{tenant}/tasks/{taskId}/pushNotificationConfigs";

        var created = await SendAsync(Alice, HttpMethod.Post, path, Config(taskId, "rest-1").ToJsonString());
        var got = await SendAsync(Alice, HttpMethod.Get, path + "/rest-1");
        var listed = await SendAsync(Alice, HttpMethod.Get, path);
        var deleted = await SendAsync(Alice, HttpMethod.Delete, path + "/rest-1");
        var gone = await SendAsync(Alice, HttpMethod.Get, path + "/rest-1");
        var otherTask = await SendAsync(Alice, HttpMethod.Post, path, Config("another-task", "rest-2").ToJsonString());

        Assert.Equal(HttpStatusCode.OK, created.Status);
        Assert.Equal("rest-1", created.Body.GetProperty("id").GetString());
        Assert.Equal("tok-1", got.Body.GetProperty("token").GetString());
        Assert.Equal("rest-1", Assert.Single(listed.Body.GetProperty("configs").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal(HttpStatusCode.BadRequest, otherTask.Status);
    }

    [Fact]
    public async Task AnotherPrincipal_IsAnsweredAsForAnUnknownTask_AndChangesNothing()
    {
        var taskId = await NewTaskAsync(Alice);
        await ResultAsync(Alice, "CreateTaskPushNotificationConfig", Config(taskId, "mine"), "1.0");
        var unknown = "unknown-" + Guid.NewGuid().ToString("N");

        foreach (var (method, parameters) in new (string, Func<string, JsonObject>)[]
        {
            ("CreateTaskPushNotificationConfig", id => Config(id, "theirs", "http://127.0.0.1:9/attacker")),
            ("GetTaskPushNotificationConfig", id => new JsonObject { ["taskId"] = id, ["id"] = "mine" }),
            ("ListTaskPushNotificationConfigs", id => new JsonObject { ["taskId"] = id }),
            ("DeleteTaskPushNotificationConfig", id => new JsonObject { ["taskId"] = id, ["id"] = "mine" }),
        })
        {
            var theirs = await ErrorAsync(Bob, method, parameters(taskId), "1.0");
            var missing = await ErrorAsync(Bob, method, parameters(unknown), "1.0");
            Assert.Equal(A2AErrorCodes.TaskNotFound, theirs.GetProperty("code").GetInt32());
            Assert.Equal(missing.GetProperty("message").GetString()!.Replace(unknown, "<id>", StringComparison.Ordinal), theirs.GetProperty("message").GetString()!.Replace(taskId, "<id>", StringComparison.Ordinal));
        }

        Assert.Equal(["mine"], (await _server.Store.ListPushConfigsAsync(taskId)).Select(c => c.Id));
        Assert.Equal("http://127.0.0.1:9/a2a", (await _server.Store.GetPushConfigAsync(taskId, "mine"))!.Url);
    }

    [Theory]
    [InlineData("url", "ftp://hooks.example.com/")]
    [InlineData("url", "/relative/path")]
    [InlineData("url", "http://user:password@127.0.0.1:9/")]
    [InlineData("token", "line\nbreak")]
    [InlineData("authentication.scheme", "Bearer token")]
    [InlineData("authentication.credentials", "a\r\nX-Injected: 1")]
    public async Task Create_MalformedWebhook_RefusedNamingTheField_AndNothingKept(string field, string value)
    {
        var taskId = await NewTaskAsync(Alice);
        var config = Config(taskId);
        switch (field)
        {
            case "url":
                config["url"] = value;
                break;
            case "token":
                config["token"] = value;
                break;
            case "authentication.scheme":
                config["authentication"]!["scheme"] = value;
                break;
            default:
                config["authentication"]!["credentials"] = value;
                break;
        }

        var error = await ErrorAsync(Alice, "CreateTaskPushNotificationConfig", config, "1.0");

        Assert.Equal(A2AErrorCodes.InvalidParams, error.GetProperty("code").GetInt32());
        Assert.Contains(field, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(await _server.Store.ListPushConfigsAsync(taskId));
    }

    [Fact]
    public async Task Create_BeyondTheMostPerTask_Refused_ButReplacingOneIsNot()
    {
        var taskId = await NewTaskAsync(Alice);
        for (var i = 0; i < 3; i++)
        {
            await ResultAsync(Alice, "CreateTaskPushNotificationConfig", Config(taskId, "c" + i), "1.0");
        }

        var refused = await ErrorAsync(Alice, "CreateTaskPushNotificationConfig", Config(taskId, "c3"), "1.0");
        var replaced = await ResultAsync(Alice, "CreateTaskPushNotificationConfig", Config(taskId, "c0", "http://127.0.0.1:9/new"), "1.0");

        Assert.Equal(A2AErrorCodes.InvalidParams, refused.GetProperty("code").GetInt32());
        Assert.Equal("http://127.0.0.1:9/new", replaced.GetProperty("url").GetString());
        Assert.Equal(["c0", "c1", "c2"], (await _server.Store.ListPushConfigsAsync(taskId)).Select(c => c.Id));
    }

    [Fact]
    public async Task FollowUp_WithAnInlineConfigBeyondTheMost_RefusedBeforeTheMessageIsAccepted()
    {
        var taskId = await NewTaskAsync(Alice);
        for (var i = 0; i < 3; i++)
        {
            await ResultAsync(Alice, "CreateTaskPushNotificationConfig", Config(taskId, "c" + i), "1.0");
        }

        var before = (await _server.Store.GetAsync(taskId))!.Sequence;
        var followUp = HeraldTestServer.SendParams("more", taskId: taskId);
        followUp["configuration"] = new JsonObject { ["taskPushNotificationConfig"] = new JsonObject { ["url"] = "http://127.0.0.1:9/fourth" } };

        var error = await ErrorAsync(Alice, "SendMessage", followUp, "1.0");

        Assert.Equal(A2AErrorCodes.InvalidParams, error.GetProperty("code").GetInt32());
        Assert.Equal(before, (await _server.Store.GetAsync(taskId))!.Sequence); // the message was not appended
        Assert.Equal(3, (await _server.Store.ListPushConfigsAsync(taskId)).Count);
    }

    [Fact]
    public async Task SendMessage_WithAnInlineConfig_KeepsItWithTheTask_AndAMalformedOneRefusesTheMessage()
    {
        var parameters = HeraldTestServer.SendParams("hi");
        parameters["configuration"] = new JsonObject { ["taskPushNotificationConfig"] = new JsonObject { ["url"] = "http://127.0.0.1:9/inline", ["token"] = "t" } };
        var task = (await ResultAsync(Alice, "SendMessage", parameters, "1.0")).GetProperty("task");
        var taskId = task.GetProperty("id").GetString()!;

        var kept = Assert.Single(await _server.Store.ListPushConfigsAsync(taskId));
        Assert.Equal("http://127.0.0.1:9/inline", kept.Url);
        Assert.Equal(taskId, kept.TaskId);
        Assert.False(string.IsNullOrEmpty(kept.Id));

        var before = (await _server.Store.ListAsync(new Server.Storage.TaskQuery { PageSize = 100 })).TotalSize;
        var bad = HeraldTestServer.SendParams("hi");
        bad["configuration"] = new JsonObject { ["taskPushNotificationConfig"] = new JsonObject { ["url"] = "gopher://x" } };
        var error = await ErrorAsync(Alice, "SendMessage", bad, "1.0");
        Assert.Equal(A2AErrorCodes.InvalidParams, error.GetProperty("code").GetInt32());
        Assert.Contains("configuration.taskPushNotificationConfig.url", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, (await _server.Store.ListAsync(new Server.Storage.TaskQuery { PageSize = 100 })).TotalSize);
    }

    private async Task<string> NewTaskAsync(string user) =>
        (await ResultAsync(user, "SendMessage", HeraldTestServer.SendParams("hi"), "1.0")).GetProperty("task").GetProperty("id").GetString()!;

    private async Task<JsonElement> ResultAsync(string user, string method, JsonObject parameters, string? version)
    {
        var response = await RpcAsync(user, method, parameters, version);
        Assert.False(response.TryGetProperty("error", out var error), $"{method}: {error}");
        return response.GetProperty("result");
    }

    private async Task<JsonElement> ErrorAsync(string user, string method, JsonObject parameters, string? version) =>
        (await RpcAsync(user, method, parameters, version)).GetProperty("error");

    private async Task<JsonElement> RpcAsync(string user, string method, JsonObject parameters, string? version) =>
        (await SendAsync(user, HttpMethod.Post, "/", HeraldTestServer.Request(method, parameters), version)).Body;

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(string user, HttpMethod method, string path, string? body = null, string? version = "1.0")
    {
        using var response = await AuthorizedHttp.SendAsync(_server, user, method, path, body, version);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
