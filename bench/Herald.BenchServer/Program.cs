using Herald.Bench;
using Herald.Protocol;
using Herald.Storage.Sqlite;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// Herald hosting the bench agent. Usage: --urls http://127.0.0.1:0 [--keepAliveSeconds 15]
//   [--store memory|PATH] (default memory; a path is a SQLite database, created when missing)
//   [--retentionSeconds S] (default: keep ended tasks) [--maintenanceSeconds S] (default 10)
//   [--sqliteDurability full|normal] (default full, as herald serve)
// Prints "Herald bench server listening on URL (pid P)" once it accepts connections.
var builder = WebApplication.CreateBuilder(args);

// Per-request Information logs would be measured too; a production server runs at Warning.
builder.Logging.SetMinimumLevel(LogLevel.Warning);

// Idle streams are held open by SSE comments at this interval (the reference server uses the same 15 s).
var keepAlive = TimeSpan.FromSeconds(builder.Configuration.GetValue("keepAliveSeconds", 15.0));
var store = builder.Configuration.GetValue("store", "memory")!;
var retention = builder.Configuration.GetValue<double?>("retentionSeconds", null);
var maintenance = TimeSpan.FromSeconds(builder.Configuration.GetValue("maintenanceSeconds", 10.0));
var herald = builder.Services.AddHerald(options =>
{
    options.KeepAliveInterval = keepAlive;
    options.TaskRetention = retention is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
    options.MaintenanceInterval = maintenance;
    options.Card = new AgentCard
    {
        Name = "Herald bench agent",
        Description = "\"N delay=MS start=MS\": N chunks appended to one artifact, MS apart, after a start delay.",
    };
})
.AddAgent(new ChunksBenchAgent());
if (store != "memory")
{
    var durability = builder.Configuration.GetValue("sqliteDurability", "full") == "normal" ? SqliteDurability.Normal : SqliteDurability.Full;
    herald.UseSqlite(store, o => o.Durability = durability);
}

var app = builder.Build();
app.MapHerald("/");

// Herald-only diagnostics for the load generator: GC activity of this process (the other servers
// have no such endpoint; their figures come from /proc only).
app.MapGet("/bench/gc", () =>
{
    var info = GC.GetGCMemoryInfo();
    return Results.Text(
        $"{{\"gen0\":{GC.CollectionCount(0)},\"gen1\":{GC.CollectionCount(1)},\"gen2\":{GC.CollectionCount(2)}," +
        $"\"pauseMs\":{GC.GetTotalPauseDuration().TotalMilliseconds:F3},\"allocatedBytes\":{GC.GetTotalAllocatedBytes()}," +
        $"\"heapBytes\":{info.HeapSizeBytes},\"committedBytes\":{info.TotalCommittedBytes},\"serverGc\":{(System.Runtime.GCSettings.IsServerGC ? "true" : "false")}}}",
        "application/json");
});
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"Herald bench server listening on {address} (pid {Environment.ProcessId})");
await app.WaitForShutdownAsync();
