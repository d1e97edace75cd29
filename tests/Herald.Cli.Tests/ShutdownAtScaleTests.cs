using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace Herald.Cli.Tests;

/// <summary>
/// `herald serve` stopped with SIGTERM while 200 streams are open (a tenth of their agents report a chunk every millisecond, so
/// the store's writer has a backlog): every stream gets its final (canceled) event, the
/// process exits within ShutdownTimeout (5 s) and a small margin, nothing completes after the signal, and after a
/// restart every task reads canceled.
/// </summary>
public sealed class ShutdownAtScaleTests
{
    private const int Streams = 200;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Serve_SigtermWith200OpenStreams_EveryStreamEndsCanceled_ExitsInTime_TasksStayCanceled()
    {
        using var directory = new TempDirectory();
        var database = Path.Combine(directory.Path, "herald.db");
        var herald = Path.Combine(AppContext.BaseDirectory, "herald.dll");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Streams + 10 }) { Timeout = Timeout };
        var ids = new string[Streams];
        var finals = new Task<JsonElement>[Streams];

        await using (var server = await HeraldServeProcess.StartAsync(herald, ["--agent", "chunks", "--store", database, "--grpc-urls", "off"], Timeout))
        {
            var streams = new List<IAsyncEnumerator<SseItem<string>>>();
            var responses = new List<HttpResponseMessage>();
            try
            {
                for (var i = 0; i < Streams; i++)
                {
                    using var request = Rpc(server.BaseAddress, "SendStreamingMessage",
                        $$$"""{"message":{"messageId":"m{{{i}}}","role":"ROLE_USER","parts":[{"text":"100000 delay={{{(i % 10 == 0 ? 1 : 50)}}}"}]}}""");
                    var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
                    response.EnsureSuccessStatusCode();
                    responses.Add(response);
                    var events = SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync().GetAsyncEnumerator();
                    streams.Add(events);
                    Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Timeout));
                    ids[i] = Result(events.Current).GetProperty("task").GetProperty("id").GetString()!;
                }

                // Every agent is streaming chunks; each stream is read to its end from now on.
                for (var i = 0; i < Streams; i++)
                {
                    finals[i] = LastAsync(streams[i]);
                }

                await server.SignalAsync("TERM", Timeout);
                var exit = await server.WaitForExitAsync(ShutdownTimeout + TimeSpan.FromSeconds(2));

                Assert.Equal(0, exit);
                foreach (var final in finals)
                {
                    var last = await final.WaitAsync(Timeout);
                    Assert.Equal("TASK_STATE_CANCELED", last.GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
                }
            }
            finally
            {
                // Connections first (that ends reads in progress), then the readers.
                responses.ForEach(r => r.Dispose());
                foreach (var final in finals.Where(f => f is not null))
                {
                    await Task.WhenAny(final);
                }

                foreach (var s in streams)
                {
                    try
                    {
                        await s.DisposeAsync();
                    }
                    catch (NotSupportedException)
                    {
                    }
                }
            }
        }

        await using var restarted = await HeraldServeProcess.StartAsync(herald, ["--agent", "chunks", "--store", database, "--grpc-urls", "off"], Timeout);
        var states = new List<string>();
        foreach (var id in ids)
        {
            using var request = Rpc(restarted.BaseAddress, "GetTask", $$"""{"id":"{{id}}","historyLength":0}""");
            request.Headers.Accept.Clear();
            using var response = await http.SendAsync(request).WaitAsync(Timeout);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            states.Add(document.RootElement.GetProperty("result").GetProperty("status").GetProperty("state").GetString()!);
        }

        Assert.All(states, s => Assert.Equal("TASK_STATE_CANCELED", s));
    }

    /// <summary>The stream's last item, once it ends.</summary>
    private static async Task<JsonElement> LastAsync(IAsyncEnumerator<SseItem<string>> events)
    {
        JsonElement last = default;
        while (await events.MoveNextAsync())
        {
            last = Result(events.Current);
        }

        return last;
    }

    private static JsonElement Result(SseItem<string> item)
    {
        using var document = JsonDocument.Parse(item.Data);
        return document.RootElement.GetProperty("result").Clone();
    }

    private static HttpRequestMessage Rpc(Uri address, string method, string parameters) => ReplicaTests.Rpc(address, method, parameters);
}
