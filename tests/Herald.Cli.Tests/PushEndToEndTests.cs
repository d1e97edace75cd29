using System.Text.Json;
using System.Text.RegularExpressions;

namespace Herald.Cli.Tests;

/// <summary>
/// The push walkthrough of the README, as processes: <c>herald serve</c> (SQLite) delivers a task's events to
/// <c>herald webhook</c>, is killed with SIGKILL in the middle, and after a restart delivers the rest: every event from the
/// first to the terminal one reaches the webhook, in order, none lost (the one in flight at the kill may come twice, with
/// the same sequence, and the receiver reports it as a duplicate).
/// </summary>
public sealed partial class PushEndToEndTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Serve_KilledMidDelivery_WebhookGetsEveryEventAcrossTheRestart()
    {
        var database = Path.Combine(_directory.Path, "herald.db");
        var herald = Path.Combine(AppContext.BaseDirectory, "herald.dll");
        string[] serve = ["--agent", "chunks", "--store", database, "--webhook-allow", "127.0.0.1", "--grpc-urls", "off"];

        // The receiver, in process: one JSON line per delivery.
        var lines = new LineWriter();
        using var stopWebhook = new CancellationTokenSource();
        var webhook = HeraldCli.RunAsync(["webhook", "--urls", "http://127.0.0.1:0", "--json"], lines, new StringWriter(), stopWebhook.Token);
        var startup = await lines.ReadLineAsync(Timeout);
        var hookUrl = ListeningOn().Match(startup) is { Success: true } m ? m.Groups[1].Value.TrimEnd('/') + "/hooks/t1" : throw new InvalidOperationException(startup);

        var received = new List<JsonElement>();
        string taskId;
        using var http = new HttpClient { Timeout = Timeout };
        await using (var first = await HeraldServeProcess.StartAsync(herald, serve, Timeout))
        {
            // A long task with its webhook sent inline, answered at once.
            var parameters = """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"3000 delay=2"}]},"configuration":{"returnImmediately":true,"taskPushNotificationConfig":{"url":"""
                + System.Text.Json.Nodes.JsonValue.Create(hookUrl).ToJsonString() + ""","token":"walkthrough"}}}""";
            using var send = ReplicaTests.Rpc(first.BaseAddress, "SendMessage", parameters, streaming: false);
            using var answer = await http.SendAsync(send).WaitAsync(Timeout);
            var result = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            Assert.False(result.TryGetProperty("error", out var error), error.ToString());
            taskId = result.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;

            while (received.Count < 50)
            {
                received.Add(JsonDocument.Parse(await lines.ReadLineAsync(Timeout)).RootElement.Clone());
            }

            await first.KillAsync(); // mid-delivery and mid-run, no graceful shutdown
        }

        await using (var second = await HeraldServeProcess.StartAsync(herald, serve, Timeout))
        {
            // The run died with the process: recovery fails the task, and delivery goes on from the stored cursor to that end.
            while (!IsTerminal(received[^1]))
            {
                received.Add(JsonDocument.Parse(await lines.ReadLineAsync(Timeout)).RootElement.Clone());
            }
        }

        await stopWebhook.CancelAsync();
        Assert.Equal(0, await webhook.WaitAsync(Timeout));

        Assert.All(received, r => Assert.Equal(taskId, r.GetProperty("taskId").GetString()));
        var sequences = received.Select(r => r.GetProperty("sequence").GetInt64()).ToList();
        var distinct = received.Where(r => !r.GetProperty("duplicate").GetBoolean()).Select(r => r.GetProperty("sequence").GetInt64()).ToList();

        // Every streamed event from the first (sequence 2: the task was created at 1) to the terminal one, in order.
        Assert.Equal(Enumerable.Range(2, distinct.Count).Select(i => (long)i), distinct);
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal("TASK_STATE_FAILED", received[^1].GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
        Assert.True(distinct.Count > 50, $"only {distinct.Count} events: the restart delivered nothing");
    }

    private static bool IsTerminal(JsonElement line) =>
        line.GetProperty("response").TryGetProperty("statusUpdate", out var update)
        && update.GetProperty("status").GetProperty("state").GetString() is "TASK_STATE_COMPLETED" or "TASK_STATE_FAILED" or "TASK_STATE_CANCELED";

    [GeneratedRegex(@"listening on (http://[^\s,]+)")]
    private static partial Regex ListeningOn();
}
