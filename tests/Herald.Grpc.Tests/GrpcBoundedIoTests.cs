using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Herald.Grpc.Tests.Infrastructure;
using Herald.Protocol;
using Herald.Server.Hosting;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests;

/// <summary>
/// gRPC answers nobody reads: they hold the server's budget of response bytes in flight (a request that does not fit
/// is refused RESOURCE_EXHAUSTED) until Herald's write deadline cuts them, and then the bytes return.
/// </summary>
public sealed class GrpcBoundedIoTests
{
    [Fact]
    public async Task GetTask_UnreadAnswersFillTheBudget_ResourceExhaustedUntilTheWriteDeadlineCutsThem()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask), o =>
        {
            o.MaxResponseBytesInFlight = 7 * 1024 * 1024;
            o.ResponseBudgetWait = TimeSpan.FromMilliseconds(100);
            o.WriteStallTimeout = TimeSpan.FromSeconds(3);
        });
        var budget = server.Services.GetRequiredService<ResponseBudget>();
        var tasks = server.Services.GetRequiredService<Herald.Server.IHeraldTasks>();
        async Task<AgentTask> LargeTaskAsync()
        {
            var task = await tasks.CreateTaskAsync();
            for (var i = 0; i < 3; i++)
            {
                await tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "out", Parts = [Part.FromText(new string('x', 1024 * 1024))] }, append: i > 0);
            }

            await tasks.UpdateStatusAsync(task.Id, TaskState.Completed);
            return task;
        }

        // Two tasks (answers for one unchanged task would be shared) and a third one asked for when the budget is full.
        var firstTask = await LargeTaskAsync();
        var secondTask = await LargeTaskAsync();
        var task = await LargeTaskAsync();

        // Two calls whose answers are never read: HTTP/2 flow control stops the server's writes after the first window.
        using var http = new HttpClient(new SocketsHttpHandler());
        using var first = await http.SendAsync(GetTaskCall(server, firstTask.Id), HttpCompletionOption.ResponseHeadersRead);
        using var second = await http.SendAsync(GetTaskCall(server, secondTask.Id), HttpCompletionOption.ResponseHeadersRead);
        await WaitUntilAsync(() => budget.BytesInFlight >= 6 * 1024 * 1024);

        var (error, info, _) = await RawA2AClient.AssertErrorAsync(() => server.Raw.GetTaskAsync(task.Id), StatusCode.ResourceExhausted, "INTERNAL");

        // Nobody reads: the write deadline cuts both calls, their bytes return, and the next call is served whole.
        await WaitUntilAsync(() => budget.BytesInFlight == 0);
        var served = await server.Raw.GetTaskAsync(task.Id);
        var cut = await Record.ExceptionAsync(async () => await (await first.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null));

        Assert.Contains("busy", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("1", info.Metadata["retryAfterSeconds"]);
        Assert.Equal(3 * 1024 * 1024, served.Artifacts[0].Parts.Sum(p => p.Text.Length));
        Assert.NotNull(cut);
        Assert.Equal(0, budget.BytesInFlight);
    }

    [Fact]
    public async Task GetTask_ManyUnreadCallsForOneTask_ShareOneAnswer_CountedOnceInTheBudget()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((_, _) => Task.CompletedTask), o =>
        {
            o.MaxResponseBytesInFlight = 7 * 1024 * 1024;
            o.WriteStallTimeout = TimeSpan.FromMinutes(5);
        });
        var budget = server.Services.GetRequiredService<ResponseBudget>();
        var answers = server.Services.GetRequiredService<SharedAnswers>();
        var tasks = server.Services.GetRequiredService<Herald.Server.IHeraldTasks>();
        var task = await tasks.CreateTaskAsync();
        for (var i = 0; i < 3; i++)
        {
            await tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "out", Parts = [Part.FromText(new string('x', 1024 * 1024))] }, append: i > 0);
        }

        await tasks.UpdateStatusAsync(task.Id, TaskState.Completed);

        // Five calls never read, each 3 MiB: without sharing, the third would already find the 7 MiB budget full.
        using var http = new HttpClient(new SocketsHttpHandler());
        var calls = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            calls.Add(await http.SendAsync(GetTaskCall(server, task.Id), HttpCompletionOption.ResponseHeadersRead));
        }

        var inFlight = budget.BytesInFlight;
        var builds = answers.Builds;
        var served = await server.Raw.GetTaskAsync(task.Id);
        foreach (var call in calls)
        {
            call.Dispose();
        }

        Assert.All(calls, c => Assert.Equal(System.Net.HttpStatusCode.OK, c.StatusCode));
        Assert.InRange(inFlight, 3 * 1024 * 1024, 4 * 1024 * 1024);
        Assert.Equal(1, builds);
        Assert.Equal(3 * 1024 * 1024, served.Artifacts[0].Parts.Sum(p => p.Text.Length));
    }

    [Fact]
    public async Task SubscribeToTask_StreamNobodyReads_IsCutByTheWriteDeadline()
    {
        var logs = new TestLoggerProvider();
        await using var server = await GrpcTestServer.StartAsync(
            h => h.AddAgent((_, _) => Task.CompletedTask),
            o => o.WriteStallTimeout = TimeSpan.FromSeconds(1),
            configureServices: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        var tasks = server.Services.GetRequiredService<Herald.Server.IHeraldTasks>();
        var task = await tasks.CreateTaskAsync();
        for (var i = 0; i < 200; i++)
        {
            await tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "out", Parts = [Part.FromText(new string('x', 64 * 1024))] }, append: i > 0);
        }

        // Resumed from the first event: 12.8 MB are ready at once; HTTP/2 flow control stops the writes after one window.
        using var http = new HttpClient(new SocketsHttpHandler());
        using var call = await http.SendAsync(
            Call(server, "SubscribeToTask", new P.SubscribeToTaskRequest { Id = task.Id }.ToByteArray(), lastEventId: "1"), HttpCompletionOption.ResponseHeadersRead);

        Assert.True(await logs.WaitForAsync(e => e.EventId.Id == 4002, Bounded.Timeout), "the stalled gRPC stream was not cut");
        var read = new CountingStream();
        var cut = await Record.ExceptionAsync(async () => await (await call.Content.ReadAsStreamAsync()).CopyToAsync(read));

        Assert.NotNull(cut);
        Assert.True(read.Count < 200L * 64 * 1024, $"{read.Count} bytes arrived: the stream was cut before its end");
        Assert.DoesNotContain(logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error && e.Category.StartsWith("Herald", StringComparison.Ordinal));
    }

    private static HttpRequestMessage GetTaskCall(GrpcTestServer server, string taskId) =>
        Call(server, "GetTask", new P.GetTaskRequest { Id = taskId }.ToByteArray());

    /// <summary>A gRPC call made by hand over HTTP/2, so that the test decides whether and when its answer is read.</summary>
    private static HttpRequestMessage Call(GrpcTestServer server, string method, byte[] message, string? lastEventId = null)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.GrpcAddress, "/lf.a2a.v1.A2AService/" + method))
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("a2a-version", "1.0");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("last-event-id", lastEventId);
        }

        return request;
    }

    /// <summary>Waits, bounded, for a condition of the server's state that has no signal of its own.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = Bounded.Token();
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }

    private sealed class CountingStream : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Count;

        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Count += count;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Count += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
