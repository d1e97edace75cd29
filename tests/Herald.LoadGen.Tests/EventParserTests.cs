using System.Text;

namespace Herald.LoadGen.Tests;

public sealed class EventParserTests
{
    [Fact]
    public void AChunk_IsRecognisedFromItsFirstTokens_WithItsNumberAndTimestamp()
    {
        var json = Encoding.UTF8.GetBytes(Sse.Chunk(42, timestampUs: 123456789));
        var info = EventParser.ParseFast(json, timestamp: true);
        Assert.Equal(EventKind.Artifact, info.Kind);
        Assert.Equal(42, info.ChunkNumber);
        Assert.Equal(123456789, info.TimestampUs);
        Assert.Equal(0, EventParser.ParseFast(json, timestamp: false).TimestampUs);
    }

    [Fact]
    public void ARestChunk_TheBareStreamResponse_IsRecognisedToo()
    {
        var json = """{"artifactUpdate":{"taskId":"t","contextId":"c","artifact":{"artifactId":"chunks","parts":[{"text":"chunk 000007 "}],"metadata":{"benchTsUs":"99"}}}}"""u8;
        var info = EventParser.ParseFast(json, timestamp: true);
        Assert.Equal(EventKind.Artifact, info.Kind);
        Assert.Equal(7, info.ChunkNumber);
        Assert.Equal(99, info.TimestampUs);
    }

    [Fact]
    public void AChunkInAnotherSpelling_IsRecognisedThroughTheReader()
    {
        // Whitespace and a string request id: not the compact envelope matched as bytes.
        var json = """{ "id": "req-1", "jsonrpc": "2.0", "result": { "artifactUpdate": { "artifact": { "parts": [ {"text":"chunk 000011 "} ] } } } }"""u8;
        var info = EventParser.ParseFast(json, timestamp: false);
        Assert.Equal(EventKind.Artifact, info.Kind);
        Assert.Equal(11, info.ChunkNumber);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t-1","status":{"state":"TASK_STATE_SUBMITTED"}}}}""", "Task", "submitted")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"statusUpdate":{"taskId":"t-1","status":{"state":"TASK_STATE_INPUT_REQUIRED"}}}}""", "Status", "input-required")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found"}}""", "Error", null)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"kind":"status-update","status":{"state":"completed"}}}""", "Status", "completed")]
    public void EverythingElse_GoesThroughTheFullParse(string json, string kind, string? state)
    {
        var info = EventParser.ParseFast(Encoding.UTF8.GetBytes(json), timestamp: false);
        Assert.Equal(kind, info.Kind.ToString());
        Assert.Equal(state, info.State);
    }

    [Fact]
    public void AV03Chunk_GetsItsNumberThroughTheFullParse()
    {
        var json = """{"jsonrpc":"2.0","id":1,"result":{"kind":"artifact-update","taskId":"t","artifact":{"artifactId":"chunks","parts":[{"kind":"text","text":"chunk 000003 "}]}}}"""u8;
        var info = EventParser.ParseFast(json, timestamp: false);
        Assert.Equal(EventKind.Artifact, info.Kind);
        Assert.Equal(3, info.ChunkNumber);
    }

    [Fact]
    public void InvalidJsonOutsideAChunk_IsAnError()
    {
        var info = EventParser.ParseFast("""{"jsonrpc":"2.0","id":1,"result":{"statusUpdate":{"status":}}}"""u8, timestamp: false);
        Assert.Equal(EventKind.Error, info.Kind);
        Assert.StartsWith("invalid JSON", info.ErrorMessage, StringComparison.Ordinal);
    }
}
