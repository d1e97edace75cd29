using System.Text;

namespace Herald.LoadGen.Tests;

public sealed class SseEventReaderTests
{
    [Fact]
    public async Task EveryEvent_ArrivesWhole_WhereverTheReadsCutTheStream()
    {
        var bytes = Sse.Stream(Enumerable.Range(1, 5));
        var whole = await Sse.ReadAsync(bytes);
        Assert.Equal(8, whole.Count);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), whole.Select(e => e.Id));
        Assert.Equal(Sse.Chunk(3), whole[4].Data);
        foreach (var readSize in new[] { 1, 2, 3, 7, 64, 333, 1000 })
        {
            Assert.Equal(whole, await Sse.ReadAsync(bytes, readSize));
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task LineEnds_Comments_Fields_AndMultiLineData(string eol)
    {
        var text = string.Join(eol,
            ": keep-alive", "",
            "retry: 2000", "",
            "event: message", "id: 7", "data:first", "data: second", "unknown: x", "",
            "data", "",
            "id: not-a-number", "data: {}", "",
            "id: 9", "", // no data: not dispatched
            "id: 10", "data: cut off at the end") + eol;
        var bytes = Encoding.UTF8.GetBytes("\uFEFF" + text);
        foreach (var readSize in new[] { 1, 5, 4096 })
        {
            var events = await Sse.ReadAsync(bytes, readSize);
            Assert.Equal([(7L, "first\nsecond"), (-1L, "{}")], events);
        }
    }

    [Fact]
    public async Task AnEventLargerThanTheBuffer_ArrivesWhole()
    {
        var big = new string('x', 100_000);
        var events = await Sse.ReadAsync(Sse.Frame([Sse.Chunk(1, text: big), Sse.Chunk(2)]), readSize: 1500);
        Assert.Equal([(1L, Sse.Chunk(1, text: big)), (2L, Sse.Chunk(2))], events);
    }
}
