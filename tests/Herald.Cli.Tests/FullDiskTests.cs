using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Herald.Cli.Tests;

/// <summary>
/// `herald serve` on SQLite whose disk fills up while a task streams, and is freed again: as a user meets it. A store
/// fault is transient; nothing may remember it for good: the task ends, streams end or go on (never silent), the log
/// keeps what was delivered, and new tasks run. Needs root (it mounts a tmpfs to fill).
/// </summary>
public sealed class FullDiskTests
{
    /// <summary>Room for the database and its WAL while the stream starts; the filler takes the rest.</summary>
    private const int DiskKib = 16 * 1024;

    /// <summary>Events streamed before the disk fills: the task is well under way.</summary>
    private const int EventsBeforeOutage = 30;

    /// <summary>Six seconds of chunks: if the task goes on after the outage instead of failing, it still ends in the bound.</summary>
    private const string StreamingRequest = "600 delay=10";

    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);

    /// <summary>The server's keep-alive interval; a stream that stays open must show life at least this often.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(1);

    /// <summary>The longest silence allowed on an open stream: a few keep-alive intervals (the machine is shared).</summary>
    private static readonly TimeSpan MaxSilence = TimeSpan.FromSeconds(4);

    /// <summary>How long the disk stays full: many keep-alive intervals, well inside the runner lease.</summary>
    private static readonly TimeSpan HeldFull = TimeSpan.FromSeconds(5);

    /// <summary>Events already committed when the disk filled may still arrive just after; then the log must stop.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    /// <summary>How long after space returns the streaming task must have ended.</summary>
    private static readonly TimeSpan EndBound = TimeSpan.FromSeconds(15);

    /// <summary>How long a read that must end (a resume, a replay, a small task) may take.</summary>
    private static readonly TimeSpan ReadBound = TimeSpan.FromSeconds(8);

    private static string HeraldDll => Path.Combine(AppContext.BaseDirectory, "herald.dll");

    [Fact]
    public async Task Serve_DiskFullMidStreamThenFreed_TaskEndsStreamsNeverHangLogKeepsEveryEventOnceNewTaskCompletes()
    {
        using var directory = new TempDirectory();
        await using var disk = await TmpfsMount.MountAsync(Path.Combine(directory.Path, "disk"), DiskKib);
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var clock = Stopwatch.StartNew();
        await using var server = await HeraldServeProcess.StartAsync(HeraldDll,
        [
            "--agent", "chunks", "--store", Path.Combine(disk.Path, "herald.db"),
            // The lease outlives the outage and the bound: the task must be ended by the process that runs it (or by maintenance
            // seeing its runner is gone), not by a lease that expired because nobody could renew it while the disk was full.
            "--keep-alive", "1s", "--runner-lease", "30s", "--maintenance-interval", "1s",
        ], Startup);

        await using var stream = await TimedSseStream.OpenAsync(http, Rpc(server.BaseAddress, "SendStreamingMessage",
            $$$"""{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"{{{StreamingRequest}}}"}]}}"""), clock, ReadBound)
            ?? throw new InvalidOperationException("SendStreamingMessage did not answer.");
        Assert.True(await stream.WaitAsync(s => s.Events.Count >= EventsBeforeOutage, ReadBound), $"The task did not stream. Received:\n{stream.RawTail}");
        var taskId = stream.Events[0].Json.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;

        // The disk fills mid-stream: the next appends meet SQLITE_FULL. It stays full for a while, then space returns.
        var filler = Path.Combine(disk.Path, "filler");
        var lastBeforeOutage = stream.Events[^1].Sequence!.Value;
        var fullAt = clock.Elapsed;
        disk.Fill(filler);
        await Task.Delay(HeldFull);
        File.Delete(filler);
        var freedAt = clock.Elapsed;

        // The fault really happened: while the disk was full the log did not grow.
        var duringOutage = stream.Events.Where(e => e.At > fullAt + Settle && e.At <= freedAt && e.Sequence is not null).ToList();
        Assert.True(duringOutage.Count == 0,
            $"{duringOutage.Count} event(s) were appended while the disk was full (from id {duringOutage.FirstOrDefault()?.Id}): the outage did not hit the store.");

        var problems = new List<string>();

        // 1. The streaming task ends, with a reason when it failed, within the bound after space returned.
        var (state, reason) = await WaitForEndAsync(http, server.BaseAddress, taskId, freedAt + EndBound - clock.Elapsed);
        var ended = state is "TASK_STATE_COMPLETED" or "TASK_STATE_FAILED";
        if (!ended)
        {
            problems.Add($"The streaming task is still {state} {EndBound.TotalSeconds} s after space was freed (held full {HeldFull.TotalSeconds} s; " +
                "runner lease 30 s, maintenance every 1 s): nothing ended it.");
        }
        else if (state == "TASK_STATE_FAILED" && string.IsNullOrWhiteSpace(reason))
        {
            problems.Add("The streaming task failed without a reason message.");
        }

        // 2. The open stream ends once the task has (with its final event, or an error event); open, it shows life within a few keep-alives.
        if (ended && !await stream.WaitForEndAsync(ReadBound))
        {
            problems.Add($"The open stream did not end within {ReadBound.TotalSeconds} s of the task ending as {state}.");
        }

        if (stream.EndedAt is null && !stream.Events.Any(e => e.At > freedAt))
        {
            problems.Add($"The open stream is still open {(clock.Elapsed - freedAt).TotalSeconds:0} s after space was freed and has delivered no event since " +
                $"(last id {stream.Events[^1].Id}): it neither ended nor goes on.");
        }

        var silence = stream.LongestSilence(fullAt, clock.Elapsed);
        if (silence > MaxSilence)
        {
            problems.Add($"The open stream was silent for {silence.TotalSeconds:0.0} s (no event, no keep-alive; keep-alive interval {KeepAlive.TotalSeconds} s) " +
                $"between the disk filling at {fullAt.TotalSeconds:0.0} s and {(stream.EndedAt ?? clock.Elapsed).TotalSeconds:0.0} s; it " +
                (stream.EndedAt is null ? "is still open" : "ended") + $". Last received:\n{stream.RawTail}");
        }

        if (stream.EndedAt is not null && stream.Events[^1] is var final && !final.IsTerminal && !final.IsError)
        {
            problems.Add($"The open stream ended without a final or error event (last: {final.Kind}, failure: {stream.Failure?.Message ?? "none"}).");
        }

        // 3. A client that lost the stream during the outage resumes it with Last-Event-ID: it gets the rest, then the end.
        await using (var resumed = await TimedSseStream.OpenAsync(http, Rpc(server.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}""", lastBeforeOutage), clock, ReadBound))
        {
            if (resumed is null)
            {
                problems.Add($"SubscribeToTask with Last-Event-ID: {lastBeforeOutage} did not answer within {ReadBound.TotalSeconds} s.");
            }
            else if (!await resumed.WaitForEndAsync(ReadBound))
            {
                problems.Add($"SubscribeToTask with Last-Event-ID: {lastBeforeOutage} delivered {resumed.Events.Count} event(s) and did not end within " +
                    $"{ReadBound.TotalSeconds} s. Received:\n{resumed.RawTail}");
            }
            else
            {
                var ids = resumed.Events.Select(e => e.Sequence).Where(id => id is not null).ToList();
                if (ids.Count == 0 || ids[0] <= lastBeforeOutage || !IsIncreasing(ids) || !(resumed.Events[^1].IsTerminal || resumed.Events[^1].IsError))
                {
                    problems.Add($"SubscribeToTask with Last-Event-ID: {lastBeforeOutage} delivered ids [{string.Join(",", ids)}], " +
                        $"last {(resumed.Events.Count == 0 ? "none" : resumed.Events[^1].Kind)}: expected ids after {lastBeforeOutage}, in order, up to a final or error event.");
                }
            }
        }

        // 4. Every event the client received is in the log exactly once, in order, byte for byte: a replay from the start.
        var received = stream.Events.Where(e => e.Sequence is not null).ToList();
        var last = received[^1].Sequence!.Value;
        await using (var replay = await TimedSseStream.OpenAsync(http, Rpc(server.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}""", 0), clock, ReadBound))
        {
            if (replay is null || !await replay.WaitAsync(s => s.Events.Any(e => e.Sequence >= last), ReadBound))
            {
                problems.Add($"A replay from Last-Event-ID: 0 did not reach id {last} within {ReadBound.TotalSeconds} s " +
                    $"({replay?.Events.Count ?? 0} event(s)).");
            }
            else
            {
                problems.AddRange(CompareWithLog(received, [.. replay.Events.Where(e => e.Sequence is not null)]));
            }
        }

        // 5. The server goes on serving: a new small task completes.
        await using (var small = await TimedSseStream.OpenAsync(http, Rpc(server.BaseAddress, "SendStreamingMessage",
            """{"message":{"messageId":"m2","role":"ROLE_USER","parts":[{"text":"3 delay=0"}]}}"""), clock, ReadBound))
        {
            if (small is null || !await small.WaitForEndAsync(ReadBound) || small.Events.Count == 0 || small.Events[^1].State != "TASK_STATE_COMPLETED")
            {
                problems.Add($"A new small task did not complete within {ReadBound.TotalSeconds} s after space was freed. Received:\n{small?.RawTail}");
            }
        }

        Assert.False(server.HasExited, "herald serve exited:\n" + server.StandardErrorTail);
        Assert.True(problems.Count == 0,
            $"After the disk filled mid-stream and was freed again:\n- {string.Join("\n- ", problems)}\nServer log tail:\n{Tail(server.StandardErrorTail, 3000)}");
    }

    /// <summary>
    /// The stream and the log agree: after the snapshot (which folds the events up to its id), the stream delivered exactly the
    /// log's events up to the last one it got: same ids, same bytes, in order, each once; and no chunk is in the log twice.
    /// </summary>
    private static List<string> CompareWithLog(List<TimedSseEvent> received, List<TimedSseEvent> log)
    {
        var problems = new List<string>();
        var ids = log.Select(e => e.Sequence!.Value).ToList();
        if (!IsIncreasing(ids.Cast<long?>().ToList()))
        {
            problems.Add($"The replay's ids are not increasing, each once: [{string.Join(",", ids.Take(60))}...].");
        }

        var snapshot = received[0].Kind == "task" ? received[0].Sequence : null;
        if (snapshot is not null && ids.Count > 0 && ids[0] <= snapshot)
        {
            problems.Add($"The replay starts at id {ids[0]}, inside the snapshot the stream began with (id {snapshot}).");
        }

        var streamed = received.Skip(snapshot is null ? 0 : 1).ToList();
        var logged = log.Where(e => e.Sequence <= received[^1].Sequence).ToList();
        for (var i = 0; i < Math.Max(streamed.Count, logged.Count); i++)
        {
            var got = i < streamed.Count ? streamed[i] : null;
            var kept = i < logged.Count ? logged[i] : null;
            if (got?.Id != kept?.Id || got?.Data != kept?.Data)
            {
                problems.Add($"The stream and the log differ at position {i} of {streamed.Count} streamed event(s):\n  stream: {got?.Id} {got?.Data}\n  log:    {kept?.Id} {kept?.Data}");
                break;
            }
        }

        var chunks = log.Select(e => e.ChunkText).Where(t => t is not null).ToList();
        var doubled = chunks.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (doubled.Count > 0)
        {
            problems.Add($"The log holds {doubled.Count} chunk(s) more than once, e.g. '{doubled[0]}'.");
        }

        return problems;
    }

    private static bool IsIncreasing(List<long?> ids) => ids.Zip(ids.Skip(1)).All(p => p.First < p.Second);

    /// <summary>Polls GetTask (no signal exists for a task that may never end) until it is terminal or the bound passes.</summary>
    private static async Task<(string? State, string? Reason)> WaitForEndAsync(HttpClient http, Uri address, string taskId, TimeSpan bound)
    {
        var deadline = Stopwatch.StartNew();
        string? state = null;
        string? reason = null;
        do
        {
            using var request = Rpc(address, "GetTask", $$"""{"id":"{{taskId}}"}""");
            using var timeout = new CancellationTokenSource(ReadBound);
            using var answer = await http.SendAsync(request, timeout.Token);
            using var task = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(timeout.Token));
            var status = task.RootElement.GetProperty("result").GetProperty("status");
            state = status.GetProperty("state").GetString();
            reason = status.TryGetProperty("message", out var message) ? string.Concat(message.GetProperty("parts").EnumerateArray().Select(p => p.TryGetProperty("text", out var t) ? t.GetString() : "")) : null;
            if (state is "TASK_STATE_COMPLETED" or "TASK_STATE_FAILED" or "TASK_STATE_CANCELED" or "TASK_STATE_REJECTED")
            {
                return (state, reason);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        while (deadline.Elapsed < bound);

        return (state, reason);
    }

    private static HttpRequestMessage Rpc(Uri address, string method, string parameters, long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new StringContent($$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{parameters}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("A2A-Version", "1.0");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(method == "GetTask" ? "application/json" : "text/event-stream"));
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(CultureInfo.InvariantCulture));
        }

        return request;
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : "..." + text[^length..];
}
