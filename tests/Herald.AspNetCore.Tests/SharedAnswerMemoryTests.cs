using System.Diagnostics.Metrics;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static Herald.AspNetCore.Tests.BoundedIoTests;

namespace Herald.AspNetCore.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuringCollection
{
    /// <summary>Tests that measure the process's live heap run alone.</summary>
    public const string Name = "Live heap measured";
}

/// <summary>
/// Issue 15's first case: many clients ask for one large task and never read. Their answers are one set of bytes,
/// so the live heap stays far under the response budget while they hold, and returns once they go.
/// </summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class SharedAnswerMemoryTests
{
    private const int Clients = 300;
    private const int TaskBytes = 3_500_000;

    [Theory]
    [InlineData("jsonrpc")]
    [InlineData("rest")]
    public async Task ThreeHundredUnreadGetTasksOfA35MBTask_AllAnswered_LiveHeapFarUnderTheBudget_AndBackAfterTheyGo(string binding)
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask), o =>
        {
            o.WriteStallTimeout = TimeSpan.FromMinutes(5); // the clients hold their answers until the test lets them go
        }, binding: binding == "rest" ? WireBindings.Rest : WireBindings.JsonRpc);
        using var kestrelPool = new PooledBytes(server.Services.GetRequiredService<IMeterFactory>());
        var budget = server.Services.GetRequiredService<ResponseBudget>();
        var answers = server.Services.GetRequiredService<SharedAnswers>();
        var limit = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HeraldOptions>>().Value.MaxResponseBytesInFlight;
        var taskId = await CreateTaskAsync(server, chunks: 7, chunkBytes: TaskBytes / 7, complete: true);
        var request = binding == "rest"
            ? $"GET /tasks/{taskId} HTTP/1.1\r\nHost: 127.0.0.1\r\nA2A-Version: 1.0\r\n\r\n"
            : Post(server, "/", Rpc("GetTask", $$"""{"id":"{{taskId}}"}"""));

        // One whole answer first, so that what is measured is the clients, not the first use of the code.
        using (var warm = await RawClient.OpenAsync(server.BaseAddress, request))
        {
            Assert.True((await warm.ReadAsync(TaskBytes)) >= TaskBytes);
        }

        // Then one round of the same crowd, let go: the thread pool, its threads' array caches and Kestrel's pool reach the
        // size this load gives them, so the round measured below shows what the clients keep, not what the process grew to.
        var warmUp = new List<RawClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                warmUp.Add(await RawClient.OpenAsync(server.BaseAddress, request));
            }

            foreach (var client in warmUp)
            {
                Assert.Equal("HTTP/1.1 200 OK", await client.ReadStatusLineAsync());
            }
        }
        finally
        {
            foreach (var client in warmUp)
            {
                client.Dispose();
            }
        }

        await WaitUntilAsync(() => budget.BytesInFlight == 0 && answers.ActiveKeys == 0);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var pooledAtBaseline = kestrelPool.Bytes;
        var buildsBefore = answers.Builds;

        var clients = new List<RawClient>();
        var statuses = new List<string>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                clients.Add(await RawClient.OpenAsync(server.BaseAddress, request));
            }

            foreach (var client in clients)
            {
                statuses.Add(await client.ReadStatusLineAsync());
            }

            var held = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            var inFlight = budget.BytesInFlight;
            var builds = answers.Builds - buildsBefore;

            Assert.All(statuses, s => Assert.Equal("HTTP/1.1 200 OK", s));
            Assert.InRange(inFlight, TaskBytes, 2L * TaskBytes + 65_536);
            Assert.InRange(builds, 1, 3);

            // Without sharing, the budget alone (256 MiB) would be full of copies of this task.
            Assert.True(held < limit / 4, $"live heap grew by {held:N0} bytes while {Clients} clients held their answers");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await WaitUntilAsync(() => budget.BytesInFlight == 0 && answers.ActiveKeys == 0);
        var after = GC.GetTotalMemory(forceFullCollection: true) - baseline;

        // Kestrel keeps the connections' buffers in its pool for the next ones (and evicts them once idle, 10 s at a
        // time); everything else the clients cost is gone.
        var pooled = kestrelPool.Bytes - pooledAtBaseline;
        Assert.True(kestrelPool.Seen, "Kestrel's memory pool instrument (aspnetcore.memory_pool.pooled) was not found");
        Assert.True(after - pooled < 8 * 1024 * 1024, $"live heap still {after:N0} bytes above its baseline after the clients went, {pooled:N0} of them in Kestrel's pool");
    }

    /// <summary>Bytes held in this server's Kestrel memory pool for reuse, from its own instrument.</summary>
    private sealed class PooledBytes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _bytes;

        public PooledBytes(IMeterFactory serverMeters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Microsoft.AspNetCore.MemoryPool" && instrument.Name == "aspnetcore.memory_pool.pooled" && instrument.Meter.Scope == serverMeters)
                {
                    Seen = true;
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _bytes, value));
            _listener.Start();
        }

        public bool Seen { get; private set; }

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Dispose() => _listener.Dispose();
    }
}
