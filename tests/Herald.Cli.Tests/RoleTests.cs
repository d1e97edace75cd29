using System.Globalization;
using System.Text.Json;

namespace Herald.Cli.Tests;

/// <summary>
/// Runs are claimed, not assigned: <c>herald serve --role api</c> accepts and answers but runs nothing, <c>--role worker</c>
/// processes claim the runs from the store and run them, and <c>--max-runs</c> caps a process's runs, the rest waiting in
/// the store as submitted. Every run of the exec agent below writes "message-path pid" to a shared log (its parent is the
/// herald process that ran it), then waits until the test creates "message-path.go".
/// </summary>
public sealed class RoleTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string RunsLog => Path.Combine(_directory.Path, "runs.log");

    private string[] Command =>
    [
        "--", "/bin/sh", "-c",
        $"f=$(cat); echo \"$f $PPID\" >> '{RunsLog}'; echo \"ran by $PPID\"; while [ ! -e \"$f.go\" ]; do sleep 0.05; done; echo done",
    ];

    [PostgresFact]
    public async Task ApiAndTwoWorkers_EveryAcceptedMessageIsRunExactlyOnceByAWorker()
    {
        await using var processes = await Replicas.StartAsync([["--agent", "exec", "--role", "api"], ["--agent", "exec", "--role", "worker"], ["--agent", "exec", "--role", "worker"]], Command);
        var (api, worker1, worker2) = (processes[0], processes[1], processes[2]);
        Assert.Contains("role: api", api.StartupLine, StringComparison.Ordinal);
        Assert.Contains("role: worker", worker1.StartupLine, StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = ReplicaTests.Timeout };

        // A worker serves no A2A endpoint, only its health.
        using (var onWorker = ReplicaTests.Rpc(worker1.BaseAddress, "ListTasks", "{}", streaming: false))
        using (var refused = await http.SendAsync(onWorker))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, refused.StatusCode);
        }

        Assert.True((await http.GetAsync(new Uri(worker1.BaseAddress, "healthz"))).IsSuccessStatusCode);

        // Released before they are sent: each run ends as soon as it starts. Sent at once, each answered when it completes.
        var messages = Enumerable.Range(0, 12).Select(i => Path.Combine(_directory.Path, $"m{i}")).ToArray();
        foreach (var message in messages)
        {
            await File.WriteAllTextAsync(message + ".go", "");
        }

        var tasks = await Task.WhenAll(messages.Select(async m =>
        {
            using var send = ReplicaTests.Rpc(api.BaseAddress, "SendMessage", ReplicaTests.Message(m), streaming: false);
            using var result = await ReplicaTests.RpcResultAsync(http, send);
            return result.RootElement.GetProperty("result").GetProperty("task").Clone();
        }));

        Assert.All(tasks, t => Assert.Equal("TASK_STATE_COMPLETED", ReplicaTests.State(t)));
        var runs = ReadRuns();
        Assert.Equal(messages.Order(), runs.Select(r => r.Message).Order()); // each message once, none twice
        Assert.All(runs, r => Assert.Contains(r.Pid, new[] { worker1.Id, worker2.Id }));
        Assert.All(tasks, t => Assert.Matches(@"ran by \d+", ReplicaTests.ArtifactText(t)));
        processes.AssertNoneExited();
    }

    [PostgresFact]
    public async Task WorkerKilledMidRun_ItsTaskFailsWithAReason_AndRunsItNeverStartedGoToAnotherWorker()
    {
        await using var processes = await Replicas.StartAsync([["--agent", "exec", "--role", "api"], ["--agent", "exec", "--role", "worker", "--max-runs", "1"]], Command);
        var (api, doomed) = (processes[0], processes[1]);
        using var http = new HttpClient { Timeout = ReplicaTests.Timeout };
        var first = Path.Combine(_directory.Path, "first");
        var firstTask = await SendImmediatelyAsync(http, api, first);
        Assert.True(await ReplicaTests.Eventually(() => ReadRuns().Count == 1, ReplicaTests.Timeout), "the worker did not start the first run");
        var waiting = new[] { Path.Combine(_directory.Path, "second"), Path.Combine(_directory.Path, "third") };
        var waitingTasks = new List<string>();
        foreach (var message in waiting)
        {
            waitingTasks.Add(await SendImmediatelyAsync(http, api, message));
        }

        // The worker's one run is busy: the other two wait in the store.
        foreach (var id in waitingTasks)
        {
            Assert.Equal("TASK_STATE_SUBMITTED", ReplicaTests.State(await ReplicaTests.GetTaskAsync(http, api, id)));
        }

        await doomed.KillAsync();

        // The run it started fails with a reason once its lease expires; the runs it never started are not failed.
        Assert.True(await ReplicaTests.Eventually(async () => ReplicaTests.State(await ReplicaTests.GetTaskAsync(http, api, firstTask)) == "TASK_STATE_FAILED", ReplicaTests.Timeout),
            "the killed worker's task was not failed");
        var failed = await ReplicaTests.GetTaskAsync(http, api, firstTask);
        Assert.Contains("stopped before finishing", ReplicaTests.StatusText(failed), StringComparison.Ordinal);
        foreach (var id in waitingTasks)
        {
            Assert.Equal("TASK_STATE_SUBMITTED", ReplicaTests.State(await ReplicaTests.GetTaskAsync(http, api, id)));
        }

        // Another worker claims and runs them, each once.
        foreach (var message in waiting)
        {
            await File.WriteAllTextAsync(message + ".go", "");
        }

        var rescuer = await processes.AddAsync(["--agent", "exec", "--role", "worker"], Command);
        foreach (var id in waitingTasks)
        {
            Assert.True(await ReplicaTests.Eventually(async () => ReplicaTests.State(await ReplicaTests.GetTaskAsync(http, api, id)) == "TASK_STATE_COMPLETED", ReplicaTests.Timeout),
                $"task {id} was not run by the other worker:\n{rescuer.StandardErrorTail}");
        }

        var runs = ReadRuns();
        Assert.Equal([(first, doomed.Id)], runs.Where(r => r.Message == first).Select(r => (r.Message, r.Pid)));
        Assert.Equal(waiting.Order(), runs.Where(r => r.Pid == rescuer.Id).Select(r => r.Message).Order());
        Assert.Equal(3, runs.Count);
    }

    [Fact]
    public async Task MaxRuns2_TenMessagesAtOnce_EightListedSubmittedUntilCapacityFrees()
    {
        // One process on its SQLite database: the same claim path as between processes, within one.
        var herald = Path.Combine(AppContext.BaseDirectory, "herald.dll");
        await using var server = await HeraldServeProcess.StartAsync(herald, ["--agent", "exec", "--max-runs", "2", "--grpc-urls", "off", .. Command], ReplicaTests.Timeout);
        Assert.Contains("max runs: 2", server.StartupLine, StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = ReplicaTests.Timeout };
        var messages = Enumerable.Range(0, 10).Select(i => Path.Combine(_directory.Path, $"m{i}")).ToArray();

        var ids = await Task.WhenAll(messages.Select(m => SendImmediatelyAsync(http, server, m)));
        var byMessage = messages.Zip(ids).ToDictionary(p => p.First, p => p.Second);

        Assert.True(await ReplicaTests.Eventually(() => ReadRuns().Count == 2, ReplicaTests.Timeout), "two runs did not start");

        // A run's "working" is stored a moment after its command starts (an agent's report returns when queued).
        Assert.True(await ReplicaTests.Eventually(async () => (await ListedStatesAsync(http, server)).Count(s => s == "TASK_STATE_WORKING") == 2, ReplicaTests.Timeout));
        var states = await ListedStatesAsync(http, server);
        Assert.Equal(8, states.Count(s => s == "TASK_STATE_SUBMITTED"));
        Assert.Equal(10, states.Count);
        Assert.Equal(2, ReadRuns().Count);

        // One run ends: exactly one waiting message is claimed.
        var firstRun = ReadRuns()[0].Message;
        await File.WriteAllTextAsync(firstRun + ".go", "");
        Assert.True(await ReplicaTests.Eventually(() => ReadRuns().Count == 3, ReplicaTests.Timeout), "no waiting run started after one ended");
        Assert.True(await ReplicaTests.Eventually(async () => ReplicaTests.State(await ReplicaTests.GetTaskAsync(http, server, byMessage[firstRun])) == "TASK_STATE_COMPLETED", ReplicaTests.Timeout));
        Assert.True(await ReplicaTests.Eventually(async () => (await ListedStatesAsync(http, server)).Count(s => s == "TASK_STATE_WORKING") == 2, ReplicaTests.Timeout));
        states = await ListedStatesAsync(http, server);
        Assert.Equal(7, states.Count(s => s == "TASK_STATE_SUBMITTED"));
        Assert.Equal(3, ReadRuns().Count);

        foreach (var message in messages)
        {
            await File.WriteAllTextAsync(message + ".go", "");
        }

        Assert.True(await ReplicaTests.Eventually(async () => (await ListedStatesAsync(http, server)).All(s => s == "TASK_STATE_COMPLETED"), ReplicaTests.Timeout),
            string.Join(", ", await ListedStatesAsync(http, server)));
        Assert.Equal(messages.Order(), ReadRuns().Select(r => r.Message).Order());
        Assert.All(ReadRuns(), r => Assert.Equal(server.Id, r.Pid));
    }

    private List<(string Message, int Pid)> ReadRuns()
    {
        if (!File.Exists(RunsLog))
        {
            return [];
        }

        return [.. File.ReadAllLines(RunsLog).Where(l => l.Length > 0).Select(l =>
        {
            var space = l.LastIndexOf(' ');
            return (l[..space], int.Parse(l[(space + 1)..], CultureInfo.InvariantCulture));
        })];
    }

    private static async Task<string> SendImmediatelyAsync(HttpClient http, HeraldServeProcess server, string text)
    {
        var parameters = $$$"""{"message":{"messageId":"{{{Guid.NewGuid():N}}}","role":"ROLE_USER","parts":[{"text":"{{{text}}}"}]},"configuration":{"returnImmediately":true}}""";
        using var send = ReplicaTests.Rpc(server.BaseAddress, "SendMessage", parameters, streaming: false);
        using var result = await ReplicaTests.RpcResultAsync(http, send);
        return result.RootElement.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
    }

    private static async Task<List<string?>> ListedStatesAsync(HttpClient http, HeraldServeProcess server)
    {
        using var request = ReplicaTests.Rpc(server.BaseAddress, "ListTasks", """{"pageSize":100}""", streaming: false);
        using var document = await ReplicaTests.RpcResultAsync(http, request);
        return [.. document.RootElement.GetProperty("result").GetProperty("tasks").EnumerateArray().Select(ReplicaTests.State)];
    }
}
