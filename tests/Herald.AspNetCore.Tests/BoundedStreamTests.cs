using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.AspNetCore.JsonRpc.V1;
using Herald.AspNetCore.Sse;
using Herald.AspNetCore.Tests.Infrastructure;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Tests;

/// <summary>What a stream or a response may hold for one client, and how streams end at shutdown.</summary>
public sealed class BoundedStreamTests
{
    [Fact]
    public async Task Stream_BatchOfLargeEvents_IsFlushedByBytesNotOnlyPerBatch()
    {
        const int Events = 200;
        var payload = new string('x', 4096);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHerald().AddAgent((_, _) => Task.CompletedTask);
        await using var provider = services.BuildServiceProvider();
        var tasks = provider.GetRequiredService<IHeraldTasks>();
        var engine = provider.GetRequiredService<IHeraldEngine>();
        var task = await tasks.CreateTaskAsync();
        for (var i = 0; i < Events; i++)
        {
            await tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "a", Parts = [Part.FromText(payload)] }, append: i > 0);
        }

        await tasks.UpdateStatusAsync(task.Id, TaskState.Completed);

        // Resumed from the start, all 201 events are available at once: one read batch.
        await using var stream = await engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, 1);
        var body = new FlushRecordingStream();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        await SseStreamer.WriteAsync(context, stream, V1StreamFormats.Responses, "{\"result\":"u8.ToArray(), "}"u8.ToArray(),
            error => [], provider.GetRequiredService<IOptions<HeraldOptions>>().Value, NullLogger.Instance);

        var text = Encoding.UTF8.GetString(body.All.ToArray());
        Assert.Equal(Events + 1, RawSse.Blocks(text).Count(b => b.Any(l => l.Field == "data")));
        Assert.True(body.Flushes.Count > 10, $"{body.Flushes.Count} flushes");

        // Never more than the threshold plus one event waits between flushes.
        Assert.All(body.Flushes, bytes => Assert.InRange(bytes, 0, SseStreamer.FlushBytes + payload.Length + 512));
    }

    [Fact]
    public async Task StopAsync_ReaderFarBehind_GetsEveryEventWholeEndingWithCanceled()
    {
        const int Count = 2_000;
        var payload = new string('y', 8192); // ~16 MB queued for a client that is not reading yet
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        using var request = server.NewPost(HeraldTestServer.Request("SubscribeToTask", new JsonObject { ["id"] = taskId }));
        using var behind = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Within();
        await run.Do(async (c, ct) =>
        {
            for (var i = 0; i < Count; i++)
            {
                await c.AddArtifactAsync(new Artifact { ArtifactId = "big", Parts = [Part.FromText(payload)] }, cancellationToken: ct);
            }

            await c.FlushAsync(ct);
        }).WaitAsync(TimeSpan.FromSeconds(30));

        // The server shuts down while this client is thousands of events behind; then the client reads.
        var stopping = server.StopAsync();
        var text = await behind.Content.ReadAsStringAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await stopping;

        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var blocks = RawSse.Blocks(text).Where(b => b.Any(l => l.Field == "data")).ToList();
        var events = blocks.Select(b => (Id: long.Parse(b.Single(l => l.Field == "id").Value, System.Globalization.CultureInfo.InvariantCulture),
            Json: JsonDocument.Parse(b.Single(l => l.Field == "data").Value).RootElement.Clone())).ToList();
        Assert.Equal(Enumerable.Range(1, Count + 2).Select(i => (long)i), events.Select(e => e.Id)); // the snapshot, every chunk, canceled
        var last = events[^1].Json.GetProperty("result").GetProperty("statusUpdate").GetProperty("status");
        Assert.Equal("TASK_STATE_CANCELED", last.GetProperty("state").GetString());
    }

    [Fact]
    public async Task GetTask_ClientNeverReadsALargeResponse_IsCutOffByTheMinimumDataRate()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, configureServices: s =>
        {
            s.Configure<KestrelServerOptions>(o => o.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024 * 1024, gracePeriod: TimeSpan.FromSeconds(2)));
            s.Configure<HeraldOptions>(o => o.MaxResponseBytes = 64 * 1024 * 1024); // this test needs a response larger than socket buffers
            s.AddLogging(b => b.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Debug));
        });
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        var payload = new string('z', 64 * 1024);
        await run.Do(async (c, ct) =>
        {
            var batch = c.CreateBatch();
            for (var i = 0; i < 512; i++)
            {
                batch.AppendText("big", payload); // a 32 MiB task
            }

            await batch.SendAsync(ct);
            await c.FlushAsync(ct);
        }).WaitAsync(TimeSpan.FromSeconds(30));

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync("127.0.0.1", server.BaseAddress.Port);
        var body = HeraldTestServer.Request("GetTask", new JsonObject { ["id"] = taskId });
        var head = $"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n";
        await socket.SendAsync(Encoding.UTF8.GetBytes(head + body));

        // Not reading: the server's writes stall, and within a few seconds Kestrel drops the connection for
        // writing too slowly. Then whatever is buffered is read, and the connection turns out closed early.
        var closed = await server.Logs.WaitForAsync(e => e.EventId.Name == "ResponseMinimumDataRateNotSatisfied", TimeSpan.FromSeconds(20));
        Assert.True(closed, "Kestrel did not report the slow client: " + string.Join("\n", server.Logs.Entries.Select(e => $"{e.Category} {e.EventId} {e.Message}")));
        long received = 0;
        var buffer = new byte[1 << 20];
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
            {
                received += n;
            }
        }
        catch (SocketException)
        {
        }

        Assert.InRange(received, 1, 32L * 1024 * 1024 - 1);
    }

    /// <summary>Records what a response wrote between flushes.</summary>
    private sealed class FlushRecordingStream : Stream
    {
        private long _sinceFlush;

        public MemoryStream All { get; } = new();

        public List<long> Flushes { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => All.Length;

        public override long Position { get => All.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            All.Write(buffer, offset, count);
            _sinceFlush += count;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            All.Write(buffer.Span);
            _sinceFlush += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override void Flush()
        {
            Flushes.Add(_sinceFlush);
            _sinceFlush = 0;
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flush();
            return Task.CompletedTask;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
