using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace Herald.Cli.Tests;

/// <summary>`herald serve` on its default store, killed with SIGKILL mid-stream and started again on the same database.</summary>
public sealed class CrashRecoveryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Serve_KilledMidStream_ResumeAfterRestartDeliversEveryAcknowledgedEventOnceThenFailed()
    {
        using var directory = new TempDirectory();
        var database = Path.Combine(directory.Path, "herald.db");
        var herald = Path.Combine(AppContext.BaseDirectory, "herald.dll");
        using var http = new HttpClient { Timeout = Timeout };
        var received = new List<(long Id, JsonElement Result)>();

        await using (var first = await HeraldServeProcess.StartAsync(herald, ["--agent", "chunks", "--store", database], Timeout))
        {
            using var request = Rpc(first.BaseAddress, "SendStreamingMessage",
                """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"2000 delay=5"}]}}""");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
            response.EnsureSuccessStatusCode();
            var events = SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync().GetAsyncEnumerator();
            try
            {
                while (received.Count < 40 && await events.MoveNextAsync().AsTask().WaitAsync(Timeout))
                {
                    received.Add(Parse(events.Current));
                }

                // The agent is mid-stream: crash the server, with no graceful shutdown at all.
                await first.KillAsync();

                // Whatever the server had already sent is still in the client's socket buffer: it was acknowledged too.
                while (await events.MoveNextAsync().AsTask().WaitAsync(Timeout))
                {
                    received.Add(Parse(events.Current));
                }
            }
            catch (Exception ex) when (ex is HttpIOException or IOException)
            {
                // The connection died with the process.
            }
            finally
            {
                await events.DisposeAsync();
            }
        }

        var taskId = received[0].Result.GetProperty("task").GetProperty("id").GetString()!;
        Assert.True(received.Count >= 40);
        Assert.DoesNotContain(received, e => IsTerminal(e.Result));

        await using var second = await HeraldServeProcess.StartAsync(herald, ["--agent", "chunks", "--store", database], Timeout);
        var resumed = new List<(long Id, JsonElement Result)>();
        using (var request = Rpc(second.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}"""))
        {
            request.Headers.Add("Last-Event-ID", received[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
            response.EnsureSuccessStatusCode();
            using var cts = new CancellationTokenSource(Timeout);
            await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(cts.Token)).EnumerateAsync(cts.Token))
            {
                resumed.Add(Parse(item));
            }
        }

        // Every event the log holds, each exactly once, in order: what came before the crash, then the rest.
        var all = received.Concat(resumed).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Id));

        // The stream ends with the failure that recovery appended for the run that died with the process.
        var last = resumed[^1].Result.GetProperty("statusUpdate").GetProperty("status");
        Assert.Equal("TASK_STATE_FAILED", last.GetProperty("state").GetString());
        Assert.Contains("stopped before finishing", last.GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, all.Count(e => IsTerminal(e.Result)));

        // The task as stored agrees with what was streamed: one part per chunk event.
        using var get = Rpc(second.BaseAddress, "GetTask", $$"""{"id":"{{taskId}}"}""");
        using var answer = await http.SendAsync(get).WaitAsync(Timeout);
        using var task = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var result = task.RootElement.GetProperty("result");
        Assert.Equal("TASK_STATE_FAILED", result.GetProperty("status").GetProperty("state").GetString());
        var chunks = all.Count(e => e.Result.TryGetProperty("artifactUpdate", out _));
        Assert.Equal(chunks, result.GetProperty("artifacts")[0].GetProperty("parts").GetArrayLength());
    }

    private static HttpRequestMessage Rpc(Uri address, string method, string parameters) => ReplicaTests.Rpc(address, method, parameters);

    private static (long Id, JsonElement Result) Parse(SseItem<string> item)
    {
        using var document = JsonDocument.Parse(item.Data);
        return (long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture), document.RootElement.GetProperty("result").Clone());
    }

    private static bool IsTerminal(JsonElement result) =>
        result.TryGetProperty("statusUpdate", out var update)
        && update.GetProperty("status").GetProperty("state").GetString() is "TASK_STATE_COMPLETED" or "TASK_STATE_FAILED" or "TASK_STATE_CANCELED" or "TASK_STATE_REJECTED";
}
