using Herald.Bench;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// The reference server: accepts the same JSON-RPC requests as Herald's bench server
// (SendStreamingMessage, SendMessage with returnImmediately, SubscribeToTask) and answers with
// pre-serialized SSE events of the same size, flushing after every event. No task engine, no log,
// no serialization per event: what Kestrel alone costs on this machine.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();
var endpoint = new ReferenceEndpoint();
app.MapPost("/", endpoint.HandleAsync);
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"Reference server listening on {address} (pid {Environment.ProcessId})");
await app.WaitForShutdownAsync();
