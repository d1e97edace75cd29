using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Herald.Cli.Tests;

/// <summary>
/// Three <c>herald serve</c> processes on one PostgreSQL database (each a real process, on a database of its own per test):
/// any replica serves any request about any task, streams cross replicas with nothing lost or doubled, and a replica's
/// crash or the loss of a listening connection leaves no stream waiting forever.
/// </summary>
public sealed class ReplicaTests
{
    /// <summary>How long a runner lease lasts in these tests, and how often maintenance looks for expired ones.</summary>
    internal static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    internal static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(1);

    /// <summary>Generous: three servers and a database share two cores with other builds.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [PostgresFact]
    public async Task StreamOnA_ResumedOnB_ReadOnC_EveryEventOnce_AndTheTaskIsTheFold()
    {
        await using var replicas = await Replicas.StartAsync(3, ["--agent", "chunks"]);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);
        using var http = new HttpClient { Timeout = Timeout };
        var clock = Stopwatch.StartNew();

        // A streams the first events of the task; then its client goes away while the agent goes on.
        var streamA = await Open(http, Rpc(a.BaseAddress, "SendStreamingMessage", Message("30 delay=100")), clock);
        Assert.True(await streamA.WaitAsync(s => s.Events.Count >= 5, Timeout), streamA.RawTail);
        await streamA.DisposeAsync();
        var fromA = streamA.Events;
        Assert.DoesNotContain(fromA, e => e.IsTerminal);
        var taskId = fromA[0].Json.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;

        // B resumes from the last event A's client saw.
        using var resume = Rpc(b.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}""");
        resume.Headers.Add("Last-Event-ID", fromA[^1].Id);
        await using var streamB = await Open(http, resume, clock);

        // Meanwhile C answers GetTask and ListTasks about the running task, consistently.
        Assert.True(await streamB.WaitAsync(s => s.Events.Count >= 3, Timeout), streamB.RawTail);
        var whileRunning = await GetTaskAsync(http, c, taskId);
        var listed = await ListedAsync(http, c, taskId);
        Assert.True(State(whileRunning) is "TASK_STATE_WORKING" or "TASK_STATE_COMPLETED", $"C's GetTask said {State(whileRunning)}");
        Assert.True(State(listed) == State(whileRunning) || State(listed) == "TASK_STATE_COMPLETED", $"C listed {State(listed)} after GetTask said {State(whileRunning)}");
        Assert.True(ArtifactText(whileRunning).Length >= FoldText(fromA).Length, "C's task holds less than A had already streamed");

        Assert.True(await streamB.WaitForEndAsync(Timeout), streamB.RawTail);
        Assert.Null(streamB.Failure);

        // Every event exactly once, in order, across A's stream and B's resumption, ending completed.
        var all = fromA.Concat(streamB.Events).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Sequence!.Value));
        Assert.Equal("TASK_STATE_COMPLETED", all[^1].State);
        Assert.Equal(1, all.Count(e => e.IsTerminal));
        Assert.Equal(30, all.Count(e => e.Kind == "artifactUpdate"));

        // C's task (and A's and B's) is the fold of those events; C lists it as completed.
        var expectedText = string.Concat(Enumerable.Range(1, 30).Select(i => $"chunk {i} of 30\n"));
        Assert.Equal(expectedText, FoldText(all));
        foreach (var replica in replicas)
        {
            var task = await GetTaskAsync(http, replica, taskId);
            Assert.Equal("TASK_STATE_COMPLETED", State(task));
            Assert.Equal(expectedText, ArtifactText(task));
        }

        Assert.Equal("TASK_STATE_COMPLETED", State(await ListedAsync(http, c, taskId)));
        replicas.AssertNoneExited();
    }

    [PostgresFact]
    public async Task CancelTaskOnB_StopsTheAgentRunningOnA()
    {
        // The agent is a shell loop that prints its pid, then ticks until it is killed.
        await using var replicas = await Replicas.StartAsync(3, ["--agent", "exec"], ["--", "/bin/sh", "-c", "echo $$; while :; do echo tick; sleep 0.05; done"]);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);
        using var http = new HttpClient { Timeout = Timeout };
        var clock = Stopwatch.StartNew();

        await using var streamA = await Open(http, Rpc(a.BaseAddress, "SendStreamingMessage", Message("")), clock);
        Assert.True(await streamA.WaitAsync(s => FoldText(s.Events).Split('\n').Length > 4, Timeout), streamA.RawTail);
        var taskId = streamA.Events[0].Json.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
        var pid = int.Parse(FoldText(streamA.Events).Split('\n')[0], CultureInfo.InvariantCulture);
        Assert.True(ProcessProbe.IsRunning(pid));

        using var cancel = Rpc(b.BaseAddress, "CancelTask", $$"""{"id":"{{taskId}}"}""", streaming: false);
        using (var answer = await RpcResultAsync(http, cancel))
        {
            Assert.Equal("TASK_STATE_CANCELED", State(answer.RootElement.GetProperty("result")));
        }

        // A's stream ends canceled, and the command running on A is gone.
        Assert.True(await streamA.WaitForEndAsync(Timeout), streamA.RawTail);
        Assert.Null(streamA.Failure);
        Assert.Equal("TASK_STATE_CANCELED", streamA.Events[^1].State);
        Assert.Equal(1, streamA.Events.Count(e => e.IsTerminal));
        Assert.True(await Eventually(() => !ProcessProbe.IsRunning(pid), Timeout), $"the agent's command (pid {pid}) still runs after the cancel:\n{a.StandardErrorTail}");

        // The log ends with the canceled event: nothing was appended after it (the command is dead, nothing more can come).
        await using (var connection = new NpgsqlConnection(replicas.ConnectionString))
        {
            await connection.OpenAsync();
            await using var last = new NpgsqlCommand("SELECT max(seq) FROM events WHERE task_id = $1", connection) { Parameters = { new() { Value = taskId } } };
            Assert.Equal(streamA.Events[^1].Sequence, (long)(await last.ExecuteScalarAsync())!);
        }

        // C agrees: canceled, with what A streamed.
        var task = await GetTaskAsync(http, c, taskId);
        Assert.Equal("TASK_STATE_CANCELED", State(task));
        Assert.Equal(FoldText(streamA.Events), ArtifactText(task));
        replicas.AssertNoneExited();
    }

    [PostgresFact]
    public async Task RunnerKilled_StreamsOnTheOtherReplicasEndFailedWithinTheLease()
    {
        await using var replicas = await Replicas.StartAsync(3, ["--agent", "chunks"]);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);
        using var http = new HttpClient { Timeout = Timeout };
        var clock = Stopwatch.StartNew();

        var streamA = await Open(http, Rpc(a.BaseAddress, "SendStreamingMessage", Message("1000 delay=50")), clock);
        Assert.True(await streamA.WaitAsync(s => s.Events.Count >= 2, Timeout), streamA.RawTail);
        var taskId = streamA.Events[0].Json.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
        await using var streamB = await Open(http, Rpc(b.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}"""), clock);
        await using var streamC = await Open(http, Rpc(c.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}"""), clock);
        Assert.True(await streamB.WaitAsync(s => s.Events.Count >= 3, Timeout), streamB.RawTail);
        Assert.True(await streamC.WaitAsync(s => s.Events.Count >= 3, Timeout), streamC.RawTail);

        await a.KillAsync();
        var killedAt = clock.Elapsed;
        await streamA.DisposeAsync();

        // The lease runs out, the next maintenance on B or C fails the task; both streams get that and end.
        var bound = Lease + MaintenanceInterval + TimeSpan.FromSeconds(10);
        Assert.True(await streamB.WaitForEndAsync(bound), $"B's stream still open {bound.TotalSeconds} s after the kill:\n{streamB.RawTail}\n{b.StandardErrorTail}");
        Assert.True(await streamC.WaitForEndAsync(bound), $"C's stream still open {bound.TotalSeconds} s after the kill:\n{streamC.RawTail}\n{c.StandardErrorTail}");
        Assert.True(streamB.EndedAt!.Value - killedAt <= bound);
        foreach (var stream in new[] { streamB, streamC })
        {
            Assert.Null(stream.Failure);
            var events = stream.Events;
            Assert.Equal("task", events[0].Kind);
            Assert.Equal(Enumerable.Range(0, events.Count).Select(i => events[0].Sequence!.Value + i), events.Select(e => e.Sequence!.Value));
            Assert.Equal("TASK_STATE_FAILED", events[^1].State);
            Assert.Equal(1, events.Count(e => e.IsTerminal));
            Assert.False(string.IsNullOrWhiteSpace(StatusText(events[^1].Json.GetProperty("result").GetProperty("statusUpdate"))), "the failure has no reason");
        }

        // B and C saw the same end, at the same sequence.
        Assert.Equal(streamB.Events[^1].Sequence, streamC.Events[^1].Sequence);
        foreach (var survivor in new[] { b, c })
        {
            var task = await GetTaskAsync(http, survivor, taskId);
            Assert.Equal("TASK_STATE_FAILED", State(task));
            Assert.False(string.IsNullOrWhiteSpace(StatusText(task)));
        }

        Assert.False(b.HasExited || c.HasExited);
    }

    [PostgresFact]
    public async Task ListeningConnectionsTerminated_StreamOnBGoesOnWithNothingLostOrDoubled()
    {
        await using var replicas = await Replicas.StartAsync(3, ["--agent", "chunks"]);
        var (a, b) = (replicas[0], replicas[1]);
        using var http = new HttpClient { Timeout = Timeout };
        var clock = Stopwatch.StartNew();

        await using var streamA = await Open(http, Rpc(a.BaseAddress, "SendStreamingMessage", Message("60 delay=50")), clock);
        Assert.True(await streamA.WaitAsync(s => s.Events.Count >= 2, Timeout), streamA.RawTail);
        var taskId = streamA.Events[0].Json.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
        using var subscribe = Rpc(b.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}""");
        subscribe.Headers.Add("Last-Event-ID", "0");
        await using var streamB = await Open(http, subscribe, clock);
        Assert.True(await streamB.WaitAsync(s => s.Events.Count >= 5, Timeout), streamB.RawTail);

        // Every replica's listening connection is ended by the server, as an operator's pg_terminate_backend does.
        var terminated = await TerminateListenersAsync(replicas);
        var seenBefore = streamB.Events.Count;
        Assert.True(terminated >= 3, $"{terminated} listening connection(s) terminated, expected one per replica");
        Assert.DoesNotContain(streamB.Events, e => e.IsTerminal);

        // The stream goes on, woken by notifications again (far sooner than the 20 s re-read without any), and ends completed.
        Assert.True(await streamB.WaitForEndAsync(TimeSpan.FromSeconds(15)), $"B's stream stalled after the listeners were terminated:\n{streamB.RawTail}\n{b.StandardErrorTail}");
        Assert.Null(streamB.Failure);
        var events = streamB.Events;
        Assert.True(events.Count > seenBefore);
        // Event 1 is the task's creation, which a stream carries only as the Task it starts with: after 0 come 2, 3, ...
        Assert.Equal(Enumerable.Range(2, events.Count).Select(i => (long)i), events.Select(e => e.Sequence!.Value));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
        Assert.Equal(1, events.Count(e => e.IsTerminal));
        Assert.Equal(string.Concat(Enumerable.Range(1, 60).Select(i => $"chunk {i} of 60\n")), FoldText(events));

        // A's own stream (the sender's) went through the same: every event once, ending completed.
        Assert.True(await streamA.WaitForEndAsync(Timeout), streamA.RawTail);
        Assert.Equal(Enumerable.Range(1, streamA.Events.Count).Select(i => (long)i), streamA.Events.Select(e => e.Sequence!.Value));
        Assert.Equal(events[^1].Sequence, streamA.Events[^1].Sequence);

        // Each replica listens again.
        Assert.True(await Eventually(async () => await CountListenersAsync(replicas) >= 3, Timeout), "the replicas did not listen again");
        replicas.AssertNoneExited();
    }

    [PostgresFact]
    public async Task RunnerShutDownGracefully_ItsTaskEndsCanceledOnEveryReplicasStream()
    {
        await using var replicas = await Replicas.StartAsync(3, ["--agent", "chunks"]);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);
        using var http = new HttpClient { Timeout = Timeout };
        var clock = Stopwatch.StartNew();

        await using var streamA = await Open(http, Rpc(a.BaseAddress, "SendStreamingMessage", Message("1000 delay=50")), clock);
        Assert.True(await streamA.WaitAsync(s => s.Events.Count >= 2, Timeout), streamA.RawTail);
        var taskId = streamA.Events[0].Json.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
        await using var streamB = await Open(http, Rpc(b.BaseAddress, "SubscribeToTask", $$"""{"id":"{{taskId}}"}"""), clock);
        Assert.True(await streamB.WaitAsync(s => s.Events.Count >= 3, Timeout), streamB.RawTail);

        // SIGTERM, as a service manager stops one replica: its runs end canceled, with the reason, before it exits.
        await a.SignalAsync("TERM", Timeout);
        Assert.Equal(0, await a.WaitForExitAsync(Timeout));

        // Both the stream on the stopped replica and the one on B got that final event; nothing waited for a lease to expire.
        foreach (var stream in new[] { streamA, streamB })
        {
            Assert.True(await stream.WaitForEndAsync(Timeout), stream.RawTail);
            Assert.Equal("TASK_STATE_CANCELED", stream.Events[^1].State);
            Assert.Contains("shut down", StatusText(stream.Events[^1].Json.GetProperty("result").GetProperty("statusUpdate")), StringComparison.Ordinal);
            Assert.Equal(1, stream.Events.Count(e => e.IsTerminal));
            Assert.Equal(Enumerable.Range(0, stream.Events.Count).Select(i => stream.Events[0].Sequence!.Value + i), stream.Events.Select(e => e.Sequence!.Value));
        }

        Assert.Equal(streamA.Events[^1].Sequence, streamB.Events[^1].Sequence);
        var task = await GetTaskAsync(http, c, taskId);
        Assert.Equal("TASK_STATE_CANCELED", State(task));
        Assert.Equal(FoldText(streamA.Events), ArtifactText(task));
    }

    internal static async Task<TimedSseStream> Open(HttpClient http, HttpRequestMessage request, Stopwatch clock) =>
        await TimedSseStream.OpenAsync(http, request, clock, Timeout) ?? throw new TimeoutException("no response headers within the bound");

    internal static string Message(string text) =>
        $$$"""{"message":{"messageId":"{{{Guid.NewGuid():N}}}","role":"ROLE_USER","parts":[{"text":"{{{text}}}"}]}}""";

    internal static HttpRequestMessage Rpc(Uri address, string method, string parameters, bool streaming = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new StringContent($$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{parameters}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("A2A-Version", "1.0");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(streaming ? "text/event-stream" : "application/json"));
        return request;
    }

    internal static async Task<JsonDocument> RpcResultAsync(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var document = JsonDocument.Parse(text);
        Assert.False(document.RootElement.TryGetProperty("error", out var error), error.ToString());
        return document;
    }

    internal static async Task<JsonElement> GetTaskAsync(HttpClient http, HeraldServeProcess replica, string taskId)
    {
        using var request = Rpc(replica.BaseAddress, "GetTask", $$"""{"id":"{{taskId}}"}""", streaming: false);
        using var document = await RpcResultAsync(http, request);
        return document.RootElement.GetProperty("result").Clone();
    }

    /// <summary>The task as <paramref name="replica"/>'s ListTasks shows it.</summary>
    internal static async Task<JsonElement> ListedAsync(HttpClient http, HeraldServeProcess replica, string taskId)
    {
        using var request = Rpc(replica.BaseAddress, "ListTasks", "{}", streaming: false);
        using var document = await RpcResultAsync(http, request);
        var tasks = document.RootElement.GetProperty("result").GetProperty("tasks").EnumerateArray().Where(t => t.GetProperty("id").GetString() == taskId).ToList();
        return Assert.Single(tasks).Clone();
    }

    internal static string? State(JsonElement task) => task.GetProperty("status").GetProperty("state").GetString();

    internal static string StatusText(JsonElement withStatus) =>
        withStatus.GetProperty("status").TryGetProperty("message", out var message)
            ? string.Concat(message.GetProperty("parts").EnumerateArray().Select(p => p.TryGetProperty("text", out var t) ? t.GetString() : ""))
            : "";

    /// <summary>The text of the task's artifacts, as GetTask folded it.</summary>
    internal static string ArtifactText(JsonElement task) =>
        task.TryGetProperty("artifacts", out var artifacts)
            ? string.Concat(artifacts.EnumerateArray().SelectMany(a => a.GetProperty("parts").EnumerateArray()).Select(p => p.GetProperty("text").GetString()))
            : "";

    /// <summary>The artifact text of a stream's events, folded: the snapshot's artifacts, then every chunk appended.</summary>
    internal static string FoldText(IEnumerable<TimedSseEvent> events)
    {
        var text = new StringBuilder();
        foreach (var e in events)
        {
            var result = e.Json.GetProperty("result");
            if (result.TryGetProperty("task", out var task))
            {
                text.Append(ArtifactText(task));
            }
            else if (result.TryGetProperty("artifactUpdate", out var update))
            {
                foreach (var part in update.GetProperty("artifact").GetProperty("parts").EnumerateArray())
                {
                    text.Append(part.GetProperty("text").GetString());
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Polls <paramref name="condition"/> a few times a second until it holds or the bound passes.</summary>
    internal static async Task<bool> Eventually(Func<Task<bool>> condition, TimeSpan bound)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < bound)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }

    internal static Task<bool> Eventually(Func<bool> condition, TimeSpan bound) => Eventually(() => Task.FromResult(condition()), bound);

    private static async Task<int> TerminateListenersAsync(Replicas replicas)
    {
        await using var connection = new NpgsqlConnection(Replicas.AdminConnectionString);
        await connection.OpenAsync();
        await using var terminate = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
            connection)
        {
            Parameters = { new() { Value = replicas.Database } },
        };
        return (int)(long)(await terminate.ExecuteScalarAsync())!;
    }

    private static async Task<int> CountListenersAsync(Replicas replicas)
    {
        await using var connection = new NpgsqlConnection(Replicas.AdminConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'", connection)
        {
            Parameters = { new() { Value = replicas.Database } },
        };
        return (int)(long)(await count.ExecuteScalarAsync())!;
    }
}

/// <summary>Several <c>herald serve</c> processes on one new database of the test cluster, with short leases; killed on dispose.</summary>
internal sealed class Replicas : IAsyncDisposable
{
    private readonly List<HeraldServeProcess> _processes;

    private Replicas(string database, List<HeraldServeProcess> processes)
    {
        Database = database;
        _processes = processes;
    }

    public string Database { get; }

    /// <summary>For the test's own queries on the replicas' database.</summary>
    public string ConnectionString => PostgresServer.Shared.ConnectionString(Database, "Pooling=false");

    /// <summary>For queries about the cluster (pg_stat_activity), from another database than the replicas'.</summary>
    public static string AdminConnectionString => PostgresServer.Shared.ConnectionString("postgres", "Pooling=false");

    public HeraldServeProcess this[int index] => _processes[index];

    /// <param name="count">How many replicas.</param>
    /// <param name="options">Serve options (the agent, timings that differ from the defaults here).</param>
    /// <param name="command">What follows the options (the exec agent's <c>-- command</c>).</param>
    public static Task<Replicas> StartAsync(int count, string[] options, string[]? command = null) =>
        StartAsync(Enumerable.Repeat(options, count).ToArray(), command);

    /// <param name="optionsPerReplica">Each replica's serve options (roles, run caps), one replica per entry.</param>
    /// <param name="command">What follows the options (the exec agent's <c>-- command</c>), the same for every replica.</param>
    public static async Task<Replicas> StartAsync(IReadOnlyList<string[]> optionsPerReplica, string[]? command = null)
    {
        var server = PostgresServer.Shared;
        var database = server.CreateDatabase();
        var url = $"postgres://postgres@127.0.0.1:{server.Port}/{database}";
        var defaults = new Dictionary<string, string>
        {
            ["--grpc-urls"] = "off",
            ["--runner-lease"] = $"{ReplicaTests.Lease.TotalSeconds:0}s",
            ["--maintenance-interval"] = $"{ReplicaTests.MaintenanceInterval.TotalSeconds:0}s",
            ["--keep-alive"] = "1s",
        };
        var herald = Path.Combine(AppContext.BaseDirectory, "herald.dll");

        // Started together, as a deployment does: the schema is migrated once, whoever gets there first.
        var starts = optionsPerReplica.Select(options =>
        {
            var arguments = new List<string>(options) { "--store", url };
            foreach (var (name, value) in defaults.Where(d => !options.Contains(d.Key)))
            {
                arguments.AddRange([name, value]);
            }

            arguments.AddRange(command ?? []);
            return HeraldServeProcess.StartAsync(herald, arguments, ReplicaTests.Timeout);
        }).ToList();
        try
        {
            await Task.WhenAll(starts);
        }
        catch
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            throw;
        }

        return new Replicas(database, [.. starts.Select(s => s.Result)]);
    }

    public IEnumerator<HeraldServeProcess> GetEnumerator() => _processes.GetEnumerator();

    /// <summary>Starts one more process on the same database (a worker added later, a replacement).</summary>
    public async Task<HeraldServeProcess> AddAsync(string[] options, string[]? command = null)
    {
        var arguments = new List<string>(options) { "--store", $"postgres://postgres@127.0.0.1:{PostgresServer.Shared.Port}/{Database}", "--grpc-urls", "off" };
        foreach (var (name, value) in new[] { ("--runner-lease", $"{ReplicaTests.Lease.TotalSeconds:0}s"), ("--maintenance-interval", $"{ReplicaTests.MaintenanceInterval.TotalSeconds:0}s") })
        {
            if (!options.Contains(name))
            {
                arguments.AddRange([name, value]);
            }
        }

        arguments.AddRange(command ?? []);
        var process = await HeraldServeProcess.StartAsync(Path.Combine(AppContext.BaseDirectory, "herald.dll"), arguments, ReplicaTests.Timeout);
        _processes.Add(process);
        return process;
    }

    public void AssertNoneExited()
    {
        foreach (var process in _processes)
        {
            Assert.False(process.HasExited, "a replica exited:\n" + process.StandardErrorTail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
    }
}
