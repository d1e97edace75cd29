using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Herald.AspNetCore.Tests;

/// <summary>What the server refuses to produce, and the clear answers instead: oversized events, oversized responses, stalled bodies (JSON-RPC and REST).</summary>
public sealed class ResponseLimitTests
{
    [Fact]
    public async Task Agent_ReportLargerThanMaxEventBytes_IsRefusedBeforeTheLog()
    {
        var refusal = Bounded.NewSignal<Exception>();
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(async (c, ct) =>
        {
            try
            {
                await c.AppendTextAsync("out", new string('x', 20_000), cancellationToken: ct);
            }
            catch (ArgumentException ex)
            {
                refusal.TrySetResult(ex);
                await c.AppendTextAsync("out", new string('y', 1_000), cancellationToken: ct);
            }
        }), o =>
        {
            o.MaxEventBytes = 16 * 1024;
            o.MaxResponseBytes = 64 * 1024;
        });

        var task = await server.SendBlockingAsync();

        Assert.Contains("MaxEventBytes", (await refusal.Task.Within()).Message, StringComparison.Ordinal);
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(1_000, task.GetProperty("artifacts")[0].GetProperty("parts")[0].GetProperty("text").GetString()!.Length);
    }

    [Fact]
    public async Task GetTaskAndSnapshot_OverMaxResponseBytes_ClearErrorAndLastEventIdStillWorks()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o =>
        {
            o.MaxEventBytes = 16 * 1024;
            o.MaxResponseBytes = 64 * 1024;
        });
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        for (var i = 0; i < 10; i++)
        {
            await run.ArtifactAsync(new string('z', 10_000), append: i > 0);
        }

        await run.Do((c, ct) => c.FlushAsync(ct)); // every report in the log before the reads
        var getError = await server.ErrorAsync("GetTask", new JsonObject { ["id"] = taskId }, A2AErrorCodes.InternalError);
        await using var snapshotStream = await server.SubscribeAsync(taskId);
        var snapshotEvents = await snapshotStream.ReadToEndAsync();
        await using var resumed = await server.SubscribeAsync(taskId, lastEventId: "1");
        var first = await resumed.NextAsync();
        await run.CompleteAsync();
        var rest = await resumed.ReadToEndAsync();

        // Each size error names the task and gives advice that applies to its method.
        Assert.Contains("MaxResponseBytes", getError.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("historyLength", getError.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(taskId, getError.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(taskId, getError.GetProperty("data")[0].GetProperty("metadata").GetProperty("taskId").GetString());
        var error = Assert.Single(snapshotEvents);
        Assert.Equal(A2AErrorCodes.InternalError, error.Json.GetProperty("error").GetProperty("code").GetInt32());
        var snapshotMessage = error.Json.GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("Last-Event-ID", snapshotMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("pageSize", snapshotMessage, StringComparison.Ordinal);
        Assert.Contains(taskId, snapshotMessage, StringComparison.Ordinal);
        Assert.Equal("artifactUpdate", first.Kind); // each event is small: resuming with Last-Event-ID is the way to follow a big task
        Assert.Equal("TASK_STATE_COMPLETED", rest[^1].State);
        HeraldTestServer.AssertNoInternals(snapshotStream.RawText);
    }

    [Theory]
    [InlineData("JSONRPC")]
    [InlineData("HTTP+JSON")]
    public async Task CancelTask_TaskOverMaxResponseBytes_SucceedsWithTheTaskTrimmedAndSaysSo(string binding)
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o =>
        {
            o.MaxEventBytes = 16 * 1024;
            o.MaxResponseBytes = 64 * 1024;
        }, binding: binding == "JSONRPC" ? WireBindings.JsonRpc : WireBindings.Rest);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        for (var i = 0; i < 10; i++)
        {
            await run.ArtifactAsync(new string('z', 10_000), append: i > 0);
        }

        // Reports are written in the background: all of them are in the log (and the task over the limit) before the cancel.
        await run.Do((c, ct) => c.FlushAsync(ct));
        var canceled = await server.Wire.CancelTaskAsync(taskId);
        await run.Canceled.Within();

        Assert.Equal("TASK_STATE_CANCELED", canceled.GetProperty("status").GetProperty("state").GetString());
        var note = canceled.GetProperty("metadata").GetProperty("urn:herald:a2a:response-trimmed");
        Assert.True(note.GetProperty("artifactPartsOmitted").GetBoolean());
        Assert.Contains("MaxResponseBytes", note.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("out", canceled.GetProperty("artifacts")[0].GetProperty("artifactId").GetString());
        Assert.Equal(0, canceled.GetProperty("artifacts")[0].GetProperty("parts").GetArrayLength());
        var stored = await server.Store.GetAsync(taskId);
        Assert.Equal(TaskState.Canceled, stored!.Task.Status.State);
        Assert.Null(stored.Task.Metadata); // the note is in the answer only
    }

    [Fact]
    public async Task CancelTask_TwentyMiBTaskWithDefaultLimits_ReturnsSuccess()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        var mebibyte = new string('m', 1024 * 1024);
        for (var i = 0; i < 20; i++)
        {
            await run.ArtifactAsync(mebibyte, append: i > 0);
        }

        var canceled = await server.ResultAsync("CancelTask", new JsonObject { ["id"] = taskId });

        Assert.Equal("TASK_STATE_CANCELED", canceled.GetProperty("status").GetProperty("state").GetString());
        Assert.True(canceled.GetProperty("metadata").TryGetProperty("urn:herald:a2a:response-trimmed", out _));
    }

    [Fact]
    public async Task BlockingSend_TaskOverMaxResponseBytes_ReturnsTheCompletedTaskTrimmed()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(async (c, ct) =>
        {
            for (var i = 0; i < 10; i++)
            {
                await c.AppendTextAsync("out", new string('z', 10_000), cancellationToken: ct);
            }

            await c.CompleteAsync("done", ct);
        }), o =>
        {
            o.MaxEventBytes = 16 * 1024;
            o.MaxResponseBytes = 64 * 1024;
        });

        var task = await server.SendBlockingAsync();

        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.True(task.GetProperty("metadata").GetProperty("urn:herald:a2a:response-trimmed").GetProperty("artifactPartsOmitted").GetBoolean());
    }

    [Fact]
    public async Task Post_BodyThatStalls_Http408WithJsonRpcErrorAndNoErrorLog()
    {
        await using var server = await HeraldTestServer.StartAsync(new ControlledAgent(), configureServices: s =>
            s.Configure<KestrelServerOptions>(o => o.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 100, gracePeriod: TimeSpan.FromSeconds(2))));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port);
        var head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\nContent-Length: 100000\r\n\r\n{\"jsonrpc\":";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));

        // Nothing more is sent: Kestrel's minimum request body rate ends the wait, and the endpoint answers it.
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
        {
            answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
            if (answer.ToString().Contains("}]}}", StringComparison.Ordinal))
            {
                break;
            }
        }

        var text = answer.ToString();
        Assert.StartsWith("HTTP/1.1 408", text, StringComparison.Ordinal);
        Assert.Contains("\"code\":-32600", text, StringComparison.Ordinal);
        Assert.Contains("too slowly", text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task Rest_GetTaskListTasksAndSnapshot_OverMaxResponseBytes_Http500NamingTheLimitAndLastEventIdStillWorks()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o =>
        {
            o.MaxEventBytes = 16 * 1024;
            o.MaxResponseBytes = 64 * 1024;
        }, binding: WireBindings.Rest);
        var wire = server.Wire;
        var taskId = (await wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        for (var i = 0; i < 10; i++)
        {
            await run.ArtifactAsync(new string('z', 10_000), append: i > 0);
        }

        await run.Do((c, ct) => c.FlushAsync(ct)); // every report in the log before the reads
        var getError = await A2AWire.ErrorAsync(() => wire.GetTaskAsync(taskId), A2AErrorCodes.InternalError);
        var listError = await A2AWire.ErrorAsync(() => wire.ListTasksAsync(new JsonObject { ["includeArtifacts"] = true }), A2AErrorCodes.InternalError);
        var small = await wire.ListTasksAsync(new JsonObject { ["includeArtifacts"] = false });
        await using var snapshotStream = await wire.SubscribeToTaskAsync(taskId);
        var snapshotEvents = await snapshotStream.ReadToEndAsync();
        await using var resumed = await wire.SubscribeToTaskAsync(taskId, lastEventId: "1");
        var first = await resumed.NextAsync();
        await run.CompleteAsync();
        var tail = await resumed.ReadToEndAsync();

        Assert.Equal(500, getError.HttpStatus);
        Assert.Contains("MaxResponseBytes", getError.Message, StringComparison.Ordinal);
        Assert.Contains("includeArtifacts=false", listError.Message, StringComparison.Ordinal);
        Assert.Contains(small.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("id").GetString() == taskId);
        var error = Assert.Single(snapshotEvents).Error; // event: error, checked against the spec's table by the driver
        Assert.NotNull(error);
        Assert.Equal(A2AErrorCodes.InternalError, error.Code);
        Assert.Contains("Last-Event-ID", error.Message, StringComparison.Ordinal);
        Assert.Equal(taskId, error.Metadata["taskId"]);
        Assert.Equal("artifactUpdate", first.Kind);
        Assert.Equal("TASK_STATE_COMPLETED", tail[^1].State);
        HeraldTestServer.AssertNoInternals(((SseWireStream)snapshotStream).Sse.RawText);
    }

    [Fact]
    public async Task Rest_BodyThatStalls_Http408WithStatusBodyAndNoErrorLog()
    {
        await using var server = await HeraldTestServer.StartAsync(new ControlledAgent(), configureServices: s =>
            s.Configure<KestrelServerOptions>(o => o.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 100, gracePeriod: TimeSpan.FromSeconds(2))));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port);
        var head = "POST /message:send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/a2a+json\r\nA2A-Version: 1.0\r\nContent-Length: 100000\r\n\r\n{\"message\":";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));

        // Nothing more is sent: Kestrel's minimum request body rate ends the wait, and the route answers it.
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
        {
            answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
            if (answer.ToString().Contains("}]}}", StringComparison.Ordinal))
            {
                break;
            }
        }

        var text = answer.ToString();
        Assert.StartsWith("HTTP/1.1 408", text, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/a2a+json", text, StringComparison.Ordinal);
        Assert.Contains("\"code\":408", text, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"INVALID_REQUEST\"", text, StringComparison.Ordinal);
        Assert.Contains("too slowly", text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }
}
