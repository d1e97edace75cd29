using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// A client written the way the A2A tutorial teaches: no SSE parser, it splits the response on blank lines,
/// reads only the messages that start with <c>data: </c> and yields their <c>result</c>. It gets every event
/// of every dialect, because Herald writes the <c>data:</c> line first and the <c>id:</c> line after it.
/// </summary>
public sealed class TutorialStyleClientTests
{
    private const int Chunks = 5;

    private static Task<HeraldTestServer> StartAsync() => HeraldTestServer.StartAsync(h => h.AddAgent(async (c, ct) =>
    {
        await c.StartWorkAsync("working", ct);
        for (var i = 1; i <= Chunks; i++)
        {
            await c.AppendTextAsync("out", $"chunk {i}\n", lastChunk: i == Chunks, cancellationToken: ct);
        }

        await c.CompleteAsync("done", ct);
    }));

    /// <summary>The tutorial's reader, over the raw bytes of the response.</summary>
    private static async Task<List<JsonElement>> TutorialClientAsync(HeraldTestServer server, string method, JsonObject parameters, string? version)
    {
        using var request = server.NewPost(HeraldTestServer.Request(method, parameters), version);
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Within();
        var results = new List<JsonElement>();
        var buffer = new StringBuilder();
        var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var chunk = new char[256];
        int read;
        while ((read = await reader.ReadAsync(chunk).AsTask().Within()) > 0)
        {
            buffer.Append(chunk, 0, read);
            var text = buffer.ToString();
            int end;
            while ((end = text.IndexOf("\n\n", StringComparison.Ordinal)) >= 0)
            {
                var message = text[..end];
                text = text[(end + 2)..];
                if (message.StartsWith("data: ", StringComparison.Ordinal))
                {
                    var data = message["data: ".Length..].Split('\n')[0];
                    results.Add(JsonDocument.Parse(data).RootElement.GetProperty("result").Clone());
                }
            }

            buffer.Clear().Append(text);
        }

        return results;
    }

    private static string Text(IEnumerable<JsonElement> artifactParts) => string.Concat(artifactParts.Select(p => p.GetProperty("text").GetString()));

    [Fact]
    public async Task V1SendStreamingMessage_EveryEvent()
    {
        await using var server = await StartAsync();

        var results = await TutorialClientAsync(server, "SendStreamingMessage", HeraldTestServer.SendParams("go"), "1.0");

        Assert.Equal(3 + Chunks, results.Count);
        Assert.True(results[0].Has("task"));
        Assert.Equal("TASK_STATE_COMPLETED", results[^1].GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(string.Concat(Enumerable.Range(1, Chunks).Select(i => $"chunk {i}\n")),
            Text(results.Where(r => r.Has("artifactUpdate")).SelectMany(r => r.GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts").EnumerateArray())));
    }

    [Fact]
    public async Task V03MessageStream_EveryEventEndingWithFinal()
    {
        await using var server = await StartAsync();

        var results = await TutorialClientAsync(server, "message/stream", Dialects.V03Send("go"), version: null);

        Assert.Equal(3 + Chunks, results.Count);
        Assert.Equal("task", results[0].GetProperty("kind").GetString());
        Assert.True(results[^1].GetProperty("final").GetBoolean());
        Assert.Equal(Chunks, results.Count(r => r.Has("artifact")));
    }

    [Fact]
    public async Task TutorialSendSubscribe_EveryStatusAndArtifactEndingWithFinal()
    {
        await using var server = await StartAsync();

        var results = await TutorialClientAsync(server, "tasks/sendSubscribe", Dialects.TutorialSend("tutorial-client-1", "go"), version: null);

        Assert.Equal(3 + Chunks, results.Count);
        Assert.All(results, r => Assert.Equal("tutorial-client-1", r.GetProperty("id").GetString()));
        Assert.All(results, r => Assert.True(r.Has("status") ^ r.Has("artifact")));
        Assert.Equal(["submitted", "working", "completed"], results.Where(r => r.Has("status")).Select(r => r.GetProperty("status").GetProperty("state").GetString()));
        Assert.True(results[^1].GetProperty("final").GetBoolean());
        Assert.Equal(string.Concat(Enumerable.Range(1, Chunks).Select(i => $"chunk {i}\n")),
            Text(results.Where(r => r.Has("artifact")).SelectMany(r => r.GetProperty("artifact").GetProperty("parts").EnumerateArray())));
    }
}
