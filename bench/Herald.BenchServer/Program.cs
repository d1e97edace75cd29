using Herald.Bench;
using Herald.Protocol;
using Herald.Storage.Sqlite;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// Herald hosting the bench agent, over JSON-RPC, REST and gRPC.
// Usage: --urls http://127.0.0.1:0 [--grpcUrl http://127.0.0.1:0] [--keepAliveSeconds 15]
//   [--store memory|PATH] (default memory; a path is a SQLite database, created when missing)
//   [--retentionSeconds S] (default: keep ended tasks) [--maintenanceSeconds S] (default 10)
//   [--sqliteDurability full|normal] (default full, as herald serve)
//   [--telemetry] (the OpenTelemetry SDK listening to Herald's spans and metrics, counting exporters: BenchTelemetry)
//   [--postgres CONNSTRING] (an Npgsql connection string: the PostgreSQL store instead of --store; replicas share it)
// Prints "Herald bench server listening on URL (pid P), grpc=URL" once it accepts connections.
// --urls is taken out of the arguments: the host would bind it itself, and log that named endpoints override it.
var httpUrl = "http://127.0.0.1:0";
var telemetry = false;
var hostArgs = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--urls" && i + 1 < args.Length)
    {
        httpUrl = args[++i];
    }
    else if (args[i] == "--telemetry")
    {
        telemetry = true;
    }
    else
    {
        hostArgs.Add(args[i]);
    }
}

var builder = WebApplication.CreateBuilder([.. hostArgs]);

// gRPC on its own HTTP/2-only address (no TLS here, so no protocol negotiation on a shared port), as herald serve
// does. Kestrel binds named endpoints instead of --urls once any is configured: both are named.
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Kestrel:Endpoints:Http:Url"] = httpUrl,
    ["Kestrel:Endpoints:Http:Protocols"] = nameof(HttpProtocols.Http1),
    ["Kestrel:Endpoints:Grpc:Url"] = builder.Configuration["grpcUrl"] ?? "http://127.0.0.1:0",
    ["Kestrel:Endpoints:Grpc:Protocols"] = nameof(HttpProtocols.Http2),
});
ListenOptions? grpcListener = null;
builder.WebHost.ConfigureKestrel((context, kestrel) =>
    kestrel.Configure(context.Configuration.GetSection("Kestrel")).Endpoint("Grpc", endpoint => grpcListener = endpoint.ListenOptions));

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
.AddAgent(new ChunksBenchAgent())
.AddGrpc(o => o.InterfaceUrl = endpoint => $"http://{endpoint.Host}:{grpcListener?.IPEndPoint?.Port}");
if (builder.Configuration["postgres"] is { Length: > 0 } postgres)
{
    herald.UsePostgres(postgres);
}
else if (store != "memory")
{
    var durability = builder.Configuration.GetValue("sqliteDurability", "full") == "normal" ? SqliteDurability.Normal : SqliteDurability.Full;
    herald.UseSqlite(store, o => o.Durability = durability);
}

if (telemetry)
{
    BenchTelemetry.Attach(builder.Services);
}

var app = builder.Build();
app.MapHerald("/");
app.MapHeraldGrpc();

// Herald-only diagnostics for the load generator: GC activity of this process (the other servers
// have no such endpoint; their figures come from /proc only).
app.MapGet("/bench/gc", (HttpRequest request) =>
{
    // ?collect=1: a full, compacting collection first, so that heapBytes is what is still reachable.
    if (request.Query["collect"] == "1")
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    var info = GC.GetGCMemoryInfo();
    return Results.Text(
        $"{{\"gen0\":{GC.CollectionCount(0)},\"gen1\":{GC.CollectionCount(1)},\"gen2\":{GC.CollectionCount(2)}," +
        $"\"pauseMs\":{GC.GetTotalPauseDuration().TotalMilliseconds:F3},\"allocatedBytes\":{GC.GetTotalAllocatedBytes()}," +
        $"\"heapBytes\":{info.HeapSizeBytes},\"committedBytes\":{info.TotalCommittedBytes},\"serverGc\":{(System.Runtime.GCSettings.IsServerGC ? "true" : "false")}}}",
        "application/json");
});
// What the --telemetry exporters received (zeros without --telemetry): the load generator's proof that the listener was on.
app.MapGet("/bench/telemetry", () => Results.Text(telemetry ? BenchTelemetry.Json() : "{\"spans\":0,\"metricExports\":0,\"metricPoints\":0}", "application/json"));
await app.StartAsync();
var grpcPort = grpcListener!.IPEndPoint!.Port;
var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
var address = addresses.First(a => new Uri(a).Port != grpcPort);
Console.WriteLine($"Herald bench server listening on {address} (pid {Environment.ProcessId}), grpc=http://127.0.0.1:{grpcPort}{(telemetry ? ", telemetry on" : "")}");
await app.WaitForShutdownAsync();
