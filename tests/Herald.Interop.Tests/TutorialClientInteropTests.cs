using System.Text.Json;

namespace Herald.Interop.Tests;

/// <summary>
/// tutorial-client.mjs (the first A2A tutorial's client, in behaviour: split on blank lines, JSON-parse everything
/// after <c>data: </c> up to the blank line) drives `herald serve --agent chunks` with <c>tasks/sendSubscribe</c> and
/// <c>tasks/resubscribe</c>. Any other line in a message (an <c>id:</c>) makes that parse fail for every event.
/// </summary>
[Collection(JsSdkCollection.Name)]
public sealed class TutorialClientInteropTests(JsSdkFixture fixture)
{
    private const int Chunks = 5;

    private static JsonElement[] Events(JsonElement result) => [.. result.GetProperty("events").EnumerateArray()];

    private static string ArtifactText(IEnumerable<JsonElement> events) => string.Concat(events
        .Where(e => e.TryGetProperty("artifact", out _))
        .SelectMany(e => e.GetProperty("artifact").GetProperty("parts").EnumerateArray())
        .Select(p => p.GetProperty("text").GetString()));

    private static string Expected(int from = 1) => string.Concat(Enumerable.Range(from, Chunks - from + 1).Select(i => $"chunk {i} of {Chunks}\n"));

    [Fact]
    public async Task SendSubscribe_TutorialClient_ParsesEveryEventEndingCompletedAndFinal()
    {
        var result = await fixture.RunTutorialClientAsync("sendSubscribe", $"{Chunks} delay=20");

        var events = Events(result);
        Assert.Equal(0, result.GetProperty("parseFailures").GetInt32());
        Assert.Equal(result.GetProperty("dataMessages").GetInt32(), events.Length);
        var taskId = result.GetProperty("taskId").GetString();
        Assert.All(events, e => Assert.Equal(taskId, e.GetProperty("id").GetString()));
        Assert.Equal(Chunks, events.Count(e => e.TryGetProperty("artifact", out _)));
        Assert.Equal(Expected(), ArtifactText(events));
        Assert.True(result.GetProperty("final").GetBoolean());
        Assert.Equal("completed", result.GetProperty("finalState").GetString());
        Assert.All(events[..^1], e => Assert.False(e.TryGetProperty("final", out var f) && f.GetBoolean()));
    }

    [Fact]
    public async Task Resubscribe_TutorialClientWithoutLastEventId_ParsesEveryEventEndingCompletedAndFinal()
    {
        // Slow enough that the task is still running when the client resubscribes after the first event.
        var result = await fixture.RunTutorialClientAsync("resubscribe", $"{Chunks} delay=300");

        var events = Events(result);
        Assert.Equal(0, result.GetProperty("parseFailures").GetInt32());
        Assert.Equal(result.GetProperty("dataMessages").GetInt32(), result.GetProperty("first").GetArrayLength() + events.Length);
        var taskId = result.GetProperty("taskId").GetString();
        Assert.All(events, e => Assert.Equal(taskId, e.GetProperty("id").GetString()));
        Assert.NotEmpty(events);
        Assert.True(result.GetProperty("final").GetBoolean());
        Assert.Equal("completed", result.GetProperty("finalState").GetString());
    }
}
