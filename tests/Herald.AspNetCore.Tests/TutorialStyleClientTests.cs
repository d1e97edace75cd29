using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// Clients without an SSE parser. The A2A tutorial's: it splits the response on blank lines and, for a message that
/// starts with <c>data: </c>, JSON-parses everything after that prefix up to the blank line, so it reads a tutorial-era
/// stream only because those messages are one <c>data:</c> line and nothing else. And a hand-written reader that takes
/// the <c>data:</c> line of each message: it reads v1.0 and v0.3 streams, whose <c>data:</c> line comes before the <c>id:</c>.
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

    /// <summary>The tutorial's reader, over the raw bytes of the response: the whole message after <c>data: </c> is the JSON.</summary>
    private static Task<List<JsonElement>> TutorialClientAsync(HeraldTestServer server, string method, JsonObject parameters, string? version) =>
        ReadMessagesAsync(server, method, parameters, version, data => data);

    /// <summary>A reader that takes only the <c>data:</c> line of each message (the first line, as Herald writes them).</summary>
    private static Task<List<JsonElement>> DataLineClientAsync(HeraldTestServer server, string method, JsonObject parameters, string? version) =>
        ReadMessagesAsync(server, method, parameters, version, data => data.Split('\n')[0]);

    /// <summary>
    /// Splits the response on blank lines, keeping the incomplete rest for the next chunk, and parses the <c>result</c>
    /// of each message that starts with <c>data: </c> (<paramref name="json"/> picks the JSON from what follows the prefix).
    /// A message that does not parse fails the test, where the tutorial's client logs "Failed to parse SSE data" and drops it.
    /// </summary>
    private static async Task<List<JsonElement>> ReadMessagesAsync(
        HeraldTestServer server, string method, JsonObject parameters, string? version, Func<string, string> json, Action<JsonElement>? seen = null)
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
                    var data = json(message["data: ".Length..]);
                    JsonDocument document;
                    try
                    {
                        document = JsonDocument.Parse(data);
                    }
                    catch (JsonException ex)
                    {
                        throw new Xunit.Sdk.XunitException($"Failed to parse SSE data: '{message.Replace("\n", "\\n", StringComparison.Ordinal)}' ({ex.Message})");
                    }

                    using (document)
                    {
                        results.Add(document.RootElement.GetProperty("result").Clone());
                    }

                    seen?.Invoke(results[^1]);
                }
            }

            buffer.Clear().Append(text);
        }

        return results;
    }

    private static string Text(IEnumerable<JsonElement> artifactParts) => string.Concat(artifactParts.Select(p => p.GetProperty("text").GetString()));

    [Fact]
    public async Task V1SendStreamingMessage_DataLineReader_EveryEvent()
    {
        await using var server = await StartAsync();

        var results = await DataLineClientAsync(server, "SendStreamingMessage", HeraldTestServer.SendParams("go"), "1.0");

        Assert.Equal(3 + Chunks, results.Count);
        Assert.True(results[0].Has("task"));
        Assert.Equal("TASK_STATE_COMPLETED", results[^1].GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(string.Concat(Enumerable.Range(1, Chunks).Select(i => $"chunk {i}\n")),
            Text(results.Where(r => r.Has("artifactUpdate")).SelectMany(r => r.GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts").EnumerateArray())));
    }

    [Fact]
    public async Task V03MessageStream_DataLineReader_EveryEventEndingWithFinal()
    {
        await using var server = await StartAsync();

        var results = await DataLineClientAsync(server, "message/stream", Dialects.V03Send("go"), version: null);

        Assert.Equal(3 + Chunks, results.Count);
        Assert.Equal("task", results[0].GetProperty("kind").GetString());
        Assert.True(results[^1].GetProperty("final").GetBoolean());
        Assert.Equal(Chunks, results.Count(r => r.Has("artifact")));
    }

    [Fact]
    public async Task TutorialSendSubscribe_TutorialClient_EveryStatusAndArtifactEndingWithFinal()
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

    [Fact]
    public async Task TutorialResubscribe_TutorialClientWithoutLastEventId_SnapshotThenEveryEventEndingWithFinal()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        await using var first = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend("tutorial-client-2", "go"), version: null);
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("chunk 1\n", artifactId: "out");
        await first.NextAsync(2);

        var subscribed = new TaskCompletionSource();
        var reading = ReadMessagesAsync(server, "tasks/resubscribe", Dialects.Id("tutorial-client-2"), version: null, data => data, _ => subscribed.TrySetResult());
        // The reader's first event (the snapshot) says it is subscribed; a parse failure ends the test at once.
        await (await Task.WhenAny(subscribed.Task, reading).Within());
        await run.ArtifactAsync("chunk 2\n", artifactId: "out", append: true, lastChunk: true);
        await run.CompleteAsync("done");
        var results = await reading.Within();

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal("tutorial-client-2", r.GetProperty("id").GetString()));
        Assert.Equal("chunk 1\n", Text(results[0].GetProperty("artifacts")[0].GetProperty("parts").EnumerateArray()));
        Assert.Equal("chunk 2\n", Text(results[1].GetProperty("artifact").GetProperty("parts").EnumerateArray()));
        Assert.Equal("completed", results[^1].GetProperty("status").GetProperty("state").GetString());
        Assert.True(results[^1].GetProperty("final").GetBoolean());
        await run.FinishAsync();
    }
}
