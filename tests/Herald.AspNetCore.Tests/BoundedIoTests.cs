using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Herald.Protocol;
using Herald.Server.Hosting;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// Clients that stop reading: cut by Herald's write deadline whatever they read before (streams and unary answers),
/// and held to the server's budget of response bytes in flight, with a "busy, retry" answer when it is full.
/// </summary>
public sealed class BoundedIoTests
{
    private const int StallEventId = 2004;

    [Fact]
    public async Task SseStream_ClientReadsFastThenStops_IsCutByTheWriteDeadline()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask), o => o.WriteStallTimeout = TimeSpan.FromSeconds(1));
        var taskId = await CreateTaskAsync(server, chunks: 200, chunkBytes: 64 * 1024, complete: false);

        // Resumed from the first event: 200 events of 64 KiB are ready at once, far more than the socket buffers hold.
        using var client = await RawClient.OpenAsync(server.BaseAddress, Post(server, "/", Rpc("SubscribeToTask", $$"""{"id":"{{taskId}}"}"""), lastEventId: "1"));
        var read = await client.ReadAsync(2 * 1024 * 1024);
        Assert.Equal(2 * 1024 * 1024, read);

        // The client stops reading. Kestrel's minimum data rate (credit banked by the fast start) would allow minutes.
        Assert.True(await server.Logs.WaitForAsync(e => e.EventId.Id == StallEventId, Bounded.Timeout), "the stalled stream was not cut");
        var (rest, ended) = await client.DrainAsync();

        Assert.True(ended, "the connection is closed");
        Assert.True(read + rest < 200L * 64 * 1024, $"the client got {read + rest} bytes: the stream was cut before its end");
        Assert.Single(server.Logs.Entries, e => e.EventId.Id == StallEventId);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task SseStream_IdleWithKeepAlivesOnly_IsNotCut()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o =>
        {
            o.WriteStallTimeout = TimeSpan.FromMilliseconds(100);
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(50);
        });
        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var first = await stream.NextAsync();
        var run = await agent.NextRunAsync();

        // Idle for many deadlines: keep-alives are written and complete at once, so no deadline runs.
        await stream.WaitForRawAsync(": keep-alive", occurrences: 10).Within();
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        Assert.Equal("task", first.Kind);
        Assert.Equal("TASK_STATE_COMPLETED", rest[^1].State);
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId.Id == StallEventId);
    }

    [Fact]
    public async Task JsonRpc_TwoUnreadGetTaskAnswersFillTheBudget_ThirdIsBusyThenServedOnceTheyGo()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask), o =>
        {
            o.MaxResponseBytesInFlight = 7 * 1024 * 1024;
            o.ResponseBudgetWait = TimeSpan.FromMilliseconds(200);
            o.WriteStallTimeout = TimeSpan.FromMinutes(5);
        });
        var budget = server.Services.GetRequiredService<ResponseBudget>();

        // Two tasks (answers for one unchanged task would be shared) and a third one asked for when the budget is full.
        var held = new[] { await CreateTaskAsync(server, chunks: 3, chunkBytes: 1024 * 1024, complete: false), await CreateTaskAsync(server, chunks: 3, chunkBytes: 1024 * 1024, complete: false) };
        var taskId = await CreateTaskAsync(server, chunks: 3, chunkBytes: 1024 * 1024, complete: false);
        var get = Rpc("GetTask", $$"""{"id":"{{taskId}}"}""");

        var holders = new List<RawClient>
        {
            await RawClient.OpenAsync(server.BaseAddress, Post(server, "/", Rpc("GetTask", $$"""{"id":"{{held[0]}}"}"""))),
            await RawClient.OpenAsync(server.BaseAddress, Post(server, "/", Rpc("GetTask", $$"""{"id":"{{held[1]}}"}"""))),
        };
        await WaitUntilAsync(() => budget.BytesInFlight >= 6 * 1024 * 1024);

        using var busy = await server.Client.SendAsync(server.NewPost(get));
        var error = JsonDocument.Parse(await busy.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

        // A stream's first item (the whole task) is held to the same budget: refused before the stream opens.
        var subscribe = server.NewPost(Rpc("SubscribeToTask", $$"""{"id":"{{taskId}}"}"""));
        subscribe.Headers.Accept.ParseAdd("text/event-stream");
        using var busyStream = await server.Client.SendAsync(subscribe);
        var streamError = JsonDocument.Parse(await busyStream.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
        Assert.Equal(A2AErrorCodes.InternalError, error.GetProperty("code").GetInt32());
        Assert.Contains("busy", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Retry", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("1", error.GetProperty("data")[0].GetProperty("metadata").GetProperty("retryAfterSeconds").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, busyStream.StatusCode);
        Assert.NotNull(busyStream.Headers.RetryAfter);
        Assert.Contains("busy", streamError.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The clients go: their answers' bytes return to the budget, and the next request is served whole.
        foreach (var holder in holders)
        {
            holder.Dispose();
        }

        await WaitUntilAsync(() => budget.BytesInFlight == 0);
        var task = await server.ResultAsync("GetTask", new System.Text.Json.Nodes.JsonObject { ["id"] = taskId });

        Assert.Equal(3 * 1024 * 1024, task.GetProperty("artifacts")[0].GetProperty("parts").EnumerateArray().Sum(p => p.GetProperty("text").GetString()!.Length));
        Assert.Equal(0, budget.BytesInFlight);
    }

    [Fact]
    public async Task Rest_UnreadGetTaskAnswersHoldTheBudgetUntilTheWriteDeadlineCutsThem_Busy503ThenServed()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask), o =>
        {
            o.MaxResponseBytesInFlight = 7 * 1024 * 1024;
            o.ResponseBudgetWait = TimeSpan.FromMilliseconds(100);
            o.WriteStallTimeout = TimeSpan.FromSeconds(4);
        }, binding: WireBindings.Rest);
        var budget = server.Services.GetRequiredService<ResponseBudget>();
        // Two tasks (answers for one unchanged task would be shared) and a third one asked for when the budget is full.
        var firstId = await CreateTaskAsync(server, chunks: 3, chunkBytes: 1024 * 1024, complete: true);
        var secondId = await CreateTaskAsync(server, chunks: 3, chunkBytes: 1024 * 1024, complete: true);
        var taskId = await CreateTaskAsync(server, chunks: 3, chunkBytes: 1024 * 1024, complete: true);
        static string Get(string id) => $"GET /tasks/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nA2A-Version: 1.0\r\n\r\n";

        using var first = await RawClient.OpenAsync(server.BaseAddress, Get(firstId));
        using var second = await RawClient.OpenAsync(server.BaseAddress, Get(secondId));
        await WaitUntilAsync(() => budget.BytesInFlight >= 6 * 1024 * 1024);
        using var busy = await server.Client.SendAsync(((HttpWire)server.Wire).NewGetTask(taskId));
        var body = JsonDocument.Parse(await busy.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

        // Nobody reads the two answers: the write deadline cuts both connections, and their bytes return.
        Assert.True(await server.Logs.WaitForAsync(e => e.EventId.Id == StallEventId && server.Logs.Entries.Count(x => x.EventId.Id == StallEventId) == 2, Bounded.Timeout));
        await WaitUntilAsync(() => budget.BytesInFlight == 0);
        using var served = await server.Client.SendAsync(((HttpWire)server.Wire).NewGetTask(taskId));
        var task = JsonDocument.Parse(await served.Content.ReadAsStringAsync()).RootElement;
        var (_, firstEnded) = await first.DrainAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
        Assert.Equal(503, body.GetProperty("code").GetInt32());
        Assert.Contains("busy", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(taskId, task.GetProperty("id").GetString());
        Assert.True(firstEnded);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        Assert.Equal(0, budget.BytesInFlight);
    }

    [Fact]
    public async Task GetTask_WhileTheOnlyBuildTurnIsTaken_SecondRequestIsBusyAndDoesNotBuild()
    {
        var store = new InterceptingTaskStore();
        using var release = new ManualResetEventSlim();
        var entered = Bounded.NewSignal();
        var gets = 0;
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask).UseStore(_ => store), o =>
        {
            o.MaxConcurrentTaskSnapshots = 1;
            o.ResponseBudgetWait = TimeSpan.FromMilliseconds(200);
        });
        var taskId = await CreateTaskAsync(server, chunks: 1, chunkBytes: 1000, complete: true);
        store.OnGet = _ =>
        {
            // The first build holds the only turn until the test lets it go.
            if (Interlocked.Increment(ref gets) == 1)
            {
                entered.TrySetResult();
                release.Wait(Bounded.Timeout);
            }
        };

        var first = server.Client.SendAsync(server.NewPost(Rpc("GetTask", $$"""{"id":"{{taskId}}"}""")));
        await entered.Task.Within();
        using var busy = await server.Client.SendAsync(server.NewPost(Rpc("GetTask", $$"""{"id":"{{taskId}}"}""")));
        var getsWhileHeld = Volatile.Read(ref gets);
        release.Set();
        using var served = await first.Within();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Equal(1, getsWhileHeld);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains(taskId, await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Budget_ReservationThatDoesNotFit_WaitsForARelease()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask), o =>
        {
            o.MaxResponseBytesInFlight = 100_000;
            o.ResponseBudgetWait = Timeout.InfiniteTimeSpan;
        });
        var budget = server.Services.GetRequiredService<ResponseBudget>();

        Assert.True(await budget.TryReserveAsync(80_000));
        var waiting = budget.TryReserveAsync(80_000).AsTask();
        Assert.False(waiting.IsCompleted);
        budget.Release(80_000);

        Assert.True(await waiting.Within());
        Assert.Equal(80_000, budget.BytesInFlight);

        // A response larger than the whole budget is sent alone.
        budget.Release(80_000);
        Assert.True(await budget.TryReserveAsync(500_000));
        Assert.Equal(500_000, budget.BytesInFlight);
        budget.Release(500_000);
    }

    internal static async Task<string> CreateTaskAsync(HeraldTestServer server, int chunks, int chunkBytes, bool complete)
    {
        var task = await server.Tasks.CreateTaskAsync();
        var text = new string('x', chunkBytes);
        for (var i = 0; i < chunks; i++)
        {
            await server.Tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "out", Parts = [Part.FromText(text)] }, append: i > 0);
        }

        if (complete)
        {
            await server.Tasks.UpdateStatusAsync(task.Id, TaskState.Completed);
        }

        return task.Id;
    }

    internal static string Rpc(string method, string parameters) => $$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{parameters}}}""";

    internal static string Post(HeraldTestServer server, string path, string body, string? lastEventId = null) =>
        $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\n" +
        (lastEventId is null ? "" : $"Last-Event-ID: {lastEventId}\r\n") +
        $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    /// <summary>Waits, bounded, for a condition of the server's state that has no signal of its own.</summary>
    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = Bounded.Token();
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }

    /// <summary>A client on a raw socket with a small receive buffer, so that what it does not read stays on the server.</summary>
    internal sealed class RawClient : IDisposable
    {
        private readonly Socket _socket;

        private RawClient(Socket socket) => _socket = socket;

        public static async Task<RawClient> OpenAsync(Uri server, string request)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await socket.ConnectAsync(IPAddress.Loopback, server.Port);
            await socket.SendAsync(Encoding.UTF8.GetBytes(request));
            return new RawClient(socket);
        }

        /// <summary>Reads the response's status line and nothing more (a client that then stops reading).</summary>
        public async Task<string> ReadStatusLineAsync()
        {
            using var limit = Bounded.Token();
            var line = new List<byte>();
            var one = new byte[1];
            while (line.Count < 200 && (line.Count == 0 || line[^1] != (byte)'\n'))
            {
                if (await _socket.ReceiveAsync(one, SocketFlags.None, limit.Token) == 0)
                {
                    break;
                }

                line.Add(one[0]);
            }

            return Encoding.ASCII.GetString(line.ToArray()).TrimEnd();
        }

        /// <summary>Reads exactly <paramref name="bytes"/> (fewer if the connection ends).</summary>
        public async Task<long> ReadAsync(long bytes)
        {
            using var limit = Bounded.Token();
            var buffer = new byte[64 * 1024];
            long total = 0;
            while (total < bytes)
            {
                var n = await _socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, bytes - total)), SocketFlags.None, limit.Token);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }

        /// <summary>Reads until the connection ends (true) or the bound passes (false).</summary>
        public async Task<(long Bytes, bool Ended)> DrainAsync()
        {
            using var limit = Bounded.Token();
            var buffer = new byte[64 * 1024];
            long total = 0;
            try
            {
                while (true)
                {
                    var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
                    if (n == 0)
                    {
                        return (total, true);
                    }

                    total += n;
                }
            }
            catch (SocketException)
            {
                return (total, true);
            }
            catch (OperationCanceledException)
            {
                return (total, false);
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
