using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.AspNetCore.JsonRpc.V1;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Tests;

/// <summary>What a stream may hold for one client between flushes (the end-to-end limits are in the binding suites).</summary>
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
