using Herald.Protocol;
using Herald.Testing;
using Microsoft.AspNetCore.Http;

namespace Herald.Cli.Tests;

/// <summary>The CLI against an agent that publishes a v0.3 card only and has no event log (like many deployed today).</summary>
public sealed class V03AgentTests : IAsyncLifetime
{
    private FakeAgentServer? _server;
    private Func<HttpContext, RpcCall, Task> _handler = (_, _) => Task.CompletedTask;

    private string Url => _server!.BaseUrl.ToString();

    public async Task InitializeAsync()
    {
        _server = await FakeAgentServer.StartAsync((c, call) => _handler(c, call));
        _server.CardJson = $$"""
            {"name":"Old agent","description":"Speaks v0.3","protocolVersion":"0.3.0","version":"2.0.0",
             "url":"{{_server.RpcUrl}}","preferredTransport":"JSONRPC",
             "additionalInterfaces":[{"url":"{{_server.RpcUrl}}","transport":"JSONRPC"},{"url":"{{_server.BaseUrl}}grpc","transport":"GRPC"}],
             "capabilities":{"streaming":true},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"skills":[]}
            """;
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    private static string Task03(string id, string state) =>
        "{\"kind\":\"task\",\"id\":\"" + id + "\",\"contextId\":\"ctx\",\"status\":{\"state\":\"" + state + "\"}}";

    [Fact]
    public async Task Card_V03Card_PrintsBothGenerationsAndTheInterfaceInUse()
    {
        var text = await CliRun.RunAsync("card", Url);
        var json = await CliRun.RunAsync("card", Url, "--json");

        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"  interface: JSONRPC 0.3.0 at {_server!.RpcUrl}  (in use)", text.Lines);
        Assert.Contains($"  interface: GRPC 0.3.0 at {_server.BaseUrl}grpc", text.Lines);
        Assert.Contains($"  v0.3 card: protocolVersion 0.3.0, url {_server.RpcUrl}, preferredTransport JSONRPC", text.Lines);
        Assert.Equal(0, json.ExitCode);
        var card = Assert.Single(json.JsonLines);
        Assert.Equal(_server.RpcUrl.ToString(), card.GetProperty("url").GetString());
        Assert.Equal("JSONRPC", card.GetProperty("preferredTransport").GetString());
        Assert.Equal("0.3.0", card.GetProperty("protocolVersion").GetString());
        Assert.Equal(2, card.GetProperty("additionalInterfaces").GetArrayLength());
        Assert.Equal("0.3.0", card.GetProperty("supportedInterfaces")[0].GetProperty("protocolVersion").GetString());
    }

    [Fact]
    public async Task Card_PinnedV10OnV03Agent_Exits12WithoutFallingBack()
    {
        var run = await CliRun.RunAsync("card", Url, "--a2a-version", "1.0");

        Assert.Equal(ExitCodes.UnsupportedVersion, run.ExitCode);
        Assert.Contains("does not offer A2A protocol version 1.0 (pinned; no fallback", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(_server!.Calls);
    }

    [Fact]
    public async Task SendStream_V03Agent_StreamsWithV03MethodsAndExitsByState()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Task03("t1", "submitted"))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call,
                "{\"kind\":\"artifact-update\",\"taskId\":\"t1\",\"contextId\":\"ctx\",\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"kind\":\"text\",\"text\":\"hello\"}]}}")));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call,
                "{\"kind\":\"status-update\",\"taskId\":\"t1\",\"contextId\":\"ctx\",\"status\":{\"state\":\"input-required\"},\"final\":true}")));
        };

        var run = await CliRun.RunAsync("send", Url, "hi", "--stream", "--json");

        Assert.Equal(ExitCodes.InputRequired, run.ExitCode);
        Assert.Equal(["task", "artifactUpdate", "statusUpdate"], run.JsonLines.Select(l => l.GetProperty("kind").GetString()));
        Assert.Equal("message/stream", Assert.Single(_server!.Calls).Method);
    }

    [Fact]
    public async Task SubscribeAfter_AgentWithoutEventLog_FallsBackToGetTaskAndSaysSo()
    {
        _handler = async (c, call) =>
        {
            if (call.Method == "tasks/resubscribe")
            {
                // What servers without an event log answer for a finished task: an error inside the stream.
                await Wire.StartStreamAsync(c);
                await Wire.WriteAsync(c, Wire.Event("{\"jsonrpc\":\"2.0\",\"id\":" + call.IdJson + ",\"error\":{\"code\":-32004,\"message\":\"Task t1 is in a terminal state\"}}"));
                return;
            }

            await Wire.JsonAsync(c, Wire.Result(call, Task03("t1", "completed")));
        };

        var run = await CliRun.RunAsync("subscribe", Url, "t1", "--after", "3");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var notice = Assert.Single(run.ErrorLines);
        Assert.StartsWith("herald subscribe: the agent could not resume the stream after event 3 (A2A error -32004 UNSUPPORTED_OPERATION", notice, StringComparison.Ordinal);
        Assert.Contains("showing the task's completed state from GetTask instead", notice, StringComparison.Ordinal);
        Assert.Contains(run.Lines, l => l.Contains("completed", StringComparison.Ordinal));
        Assert.Equal(["tasks/resubscribe", "tasks/get"], _server!.Calls.Select(c => c.Method));
        Assert.Equal("3", _server.Calls.First().LastEventId);
    }
}
